import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditRecord } from '../../shared/audit/audit.js';
import { ingestAuditLines, type LogLine } from '../../shared/audit/ingest.js';

/**
 * The local twin of the deployed log subscription and its retry queue: worker log lines that carry an audit record
 * (a call's end, or the start marker it leaves before its tool runs) are batched into the audit table with the
 * code the `audit-ingest` function runs. A line is appended to a spool file the moment it arrives and leaves it only
 * once it is written, so an audit store that is down, or a cluster that is stopped or killed meanwhile, loses nothing:
 * the lines are retried with backoff, and the spool is read again at the next start.
 */
export interface LocalAuditIngesterOptions {
  client: DynamoDBClient;
  tableName: string;
  retentionDays: number;
  /** Where lines wait until they are written. Without it they wait in memory only. */
  spoolFile?: string;
  /** Hears of the first failure of an outage (and of records DynamoDB refuses as invalid). */
  onError(error: unknown): void;
  /** Hears that the lines that waited are written. */
  onRecovered?(written: number): void;
}

const MAX_BATCH = 500;

export class LocalAuditIngester {
  readonly #pending: LogLine[] = [];
  readonly #options: LocalAuditIngesterOptions;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #sequence = 0;
  #failing = false;
  #backoffMs = 0;

  constructor(options: LocalAuditIngesterOptions) {
    this.#options = options;
    const spool = options.spoolFile;
    if (spool && existsSync(spool)) {
      for (const text of readFileSync(spool, 'utf8').split('\n')) {
        if (!text) continue;
        try {
          this.#pending.push(JSON.parse(text) as LogLine);
        } catch {
          // a line cut off by a crash mid-write: nothing of it was complete
        }
      }
      if (this.#pending.length) this.#schedule(0);
    }
  }

  /** Lines waiting to be written. */
  get waiting(): number {
    return this.#pending.length;
  }

  /** Offers one worker log line; only audit lines are kept. */
  offer(line: string, worker: number): void {
    if (!line.includes('"tool call')) return;
    const entry: LogLine = { id: `local-${worker}-${Date.now()}-${++this.#sequence}`, message: line };
    this.#pending.push(entry);
    if (this.#options.spoolFile) appendFileSync(this.#options.spoolFile, `${JSON.stringify(entry)}\n`);
    if (!this.#failing) this.#schedule(50);
  }

  /** Tries to write everything offered so far (once; what fails waits for the next retry). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flushing = this.#flushing.then(() => this.#drain());
    return this.#flushing;
  }

  /** Stops retrying; what is not written stays in the spool for the next start. */
  async stop(): Promise<void> {
    await this.flush();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopped = true;
  }

  #stopped = false;

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer ??= setTimeout(() => void this.flush(), ms);
  }

  async #drain(): Promise<void> {
    let written = 0;
    while (this.#pending.length > 0) {
      const batch = this.#pending.slice(0, MAX_BATCH);
      try {
        await ingestAuditLines(
          {
            client: this.#options.client,
            tableName: this.#options.tableName,
            retentionDays: this.#options.retentionDays,
            onRejected: (record: AuditRecord, error) =>
              this.#options.onError(new Error(`audit record of ${record.tool} refused: ${(error as Error).message}`)),
          },
          batch,
        );
      } catch (error) {
        if (!this.#failing) this.#options.onError(error);
        this.#failing = true;
        this.#backoffMs = Math.min(Math.max(this.#backoffMs * 2, 200), 5_000);
        this.#schedule(this.#backoffMs);
        return;
      }
      this.#pending.splice(0, batch.length);
      written += batch.length;
      this.#rewriteSpool();
    }
    if (this.#failing) this.#options.onRecovered?.(written);
    this.#failing = false;
    this.#backoffMs = 0;
  }

  /** The spool holds exactly the lines not written yet (replaced whole, so a crash leaves the old or the new one). */
  #rewriteSpool(): void {
    const spool = this.#options.spoolFile;
    if (!spool) return;
    const text = this.#pending.map((entry) => `${JSON.stringify(entry)}\n`).join('');
    writeFileSync(`${spool}.next`, text);
    renameSync(`${spool}.next`, spool);
  }
}
