import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CloudWatchLogsEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { decodeSubscriptionData, ingestAuditLines } from '../../shared/audit/ingest.js';
import { sdkLogger } from '../../shared/aws/sdk-logger.js';
import { ConfigError } from '../../shared/errors/errors.js';
import { createLogger } from '../../shared/logging/logger.js';

/**
 * Subscribed to the MCP function's log group (the audit lines: a call's end, `"tool call"`, and the start marker of a
 * call whose tool is about to run, `"tool call started"`): turns each into its call's audit-table record. This keeps
 * the DynamoDB write off the request path: a tool call pays for a log line.
 *
 * A subscription invokes it asynchronously. When it fails (the audit table unreachable), Lambda retries, then sends
 * the event to the retry queue (its on-failure destination); the queue hands it back here until it is written, and
 * after many failed tries moves it to the dead-letter queue. Both are alarmed; the dead-letter queue is replayed by
 * moving its messages back to the retry queue.
 */
const env = z
  .object({
    AUDIT_TABLE_NAME: z.string().min(1),
    AUDIT_RETENTION_DAYS: z.coerce.number().int().positive().default(90),
  })
  .safeParse(process.env);
if (!env.success)
  throw new ConfigError(`Invalid configuration: ${env.error.issues.map((i) => i.path.join('.')).join(', ')}`);

const logger = createLogger();
const client = new DynamoDBClient({ maxAttempts: 5, logger: sdkLogger(logger) });

const ingest = (data: string) =>
  ingestAuditLines(
    {
      client,
      tableName: env.data!.AUDIT_TABLE_NAME,
      retentionDays: env.data!.AUDIT_RETENTION_DAYS,
      onRejected: (record, error) =>
        logger.error('audit record refused by DynamoDB', {
          requestId: record.requestId,
          tool: record.tool,
          error: error as Error,
        }),
    },
    decodeSubscriptionData(data),
  );

/** The subscription's event as Lambda hands it to an on-failure destination (the retry queue's message body). */
interface FailedInvocation {
  requestPayload?: { awslogs?: { data?: string } };
}

export async function handler(event: CloudWatchLogsEvent | SQSEvent): Promise<{ written: number } | SQSBatchResponse> {
  if ('awslogs' in event) {
    const written = await ingest(event.awslogs.data);
    logger.debug('audit records written', { written });
    return { written };
  }
  // From the retry queue: each message is one failed subscription event; those that fail again are retried later.
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const message of event.Records) {
    let data: string | undefined;
    try {
      data = (JSON.parse(message.body) as FailedInvocation).requestPayload?.awslogs?.data;
    } catch {
      data = undefined;
    }
    if (!data) {
      logger.error('a retry-queue message holds no subscription event; dropped', { messageId: message.messageId });
      continue;
    }
    try {
      await ingest(data);
    } catch (error) {
      logger.warn('audit records still not written; retried later', { error: error as Error });
      batchItemFailures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures };
}
