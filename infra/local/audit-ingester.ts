import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ingestAuditLines, type LogLine } from '../../shared/audit/ingest.js';

/**
 * The local twin of the deployed log subscription: worker log lines that carry an audit record are batched into the
 * audit table with the same code the `audit-ingest` function runs.
 */
export interface LocalAuditIngesterOptions {
  client: DynamoDBClient;
  tableName: string;
  retentionDays: number;
  onError(error: unknown): void;
}

export class LocalAuditIngester {
  readonly #pending: LogLine[] = [];
  readonly #options: LocalAuditIngesterOptions;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #sequence = 0;

  constructor(options: LocalAuditIngesterOptions) {
    this.#options = options;
  }

  /** Offers one worker log line; only audit lines are kept. */
  offer(line: string, worker: number): void {
    if (!line.includes('"tool call"')) return;
    this.#pending.push({ id: `local-${worker}-${Date.now()}-${++this.#sequence}`, message: line });
    this.#timer ??= setTimeout(() => void this.flush(), 50);
  }

  /** Writes everything offered so far. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending.splice(0);
    this.#flushing = this.#flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await ingestAuditLines(this.#options, batch);
      } catch (error) {
        this.#options.onError(error);
      }
    });
    return this.#flushing;
  }
}
