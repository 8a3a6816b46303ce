import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { z } from 'zod';
import { decodeSubscriptionData, ingestAuditLines } from '../../shared/audit/ingest.js';
import { sdkLogger } from '../../shared/aws/sdk-logger.js';
import { ConfigError } from '../../shared/errors/errors.js';
import { createLogger } from '../../shared/logging/logger.js';

/**
 * Subscribed to the MCP function's log group (filter: `$.message = "tool call"`): turns each audit line into one
 * audit-table record. This keeps the DynamoDB write off the request path: a tool call pays for one log line.
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

export async function handler(event: CloudWatchLogsEvent): Promise<{ written: number }> {
  const lines = decodeSubscriptionData(event.awslogs.data);
  const written = await ingestAuditLines(
    { client, tableName: env.data!.AUDIT_TABLE_NAME, retentionDays: env.data!.AUDIT_RETENTION_DAYS },
    lines,
  );
  logger.debug('audit records written', { lines: lines.length, written });
  return { written };
}
