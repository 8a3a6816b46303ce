import { gunzipSync } from 'node:zlib';
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AuditRecord } from './audit.js';
import { auditItem } from './audit-table.js';

/** One log line as CloudWatch Logs delivers it to a subscription: a unique id and the line. */
export interface LogLine {
  id: string;
  message: string;
}

/** The `awslogs.data` payload of a CloudWatch Logs subscription: base64 of gzipped JSON. */
export function decodeSubscriptionData(data: string): LogLine[] {
  const payload = JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as {
    messageType?: string;
    logEvents?: { id: string; message: string }[];
  };
  if (payload.messageType !== 'DATA_MESSAGE') return []; // CONTROL_MESSAGE: CloudWatch checking the destination
  return (payload.logEvents ?? []).map(({ id, message }) => ({ id, message }));
}

/**
 * The audit record in a log line, if it holds one. The function writes `{"message":"tool call","audit":{...}}`; with
 * Lambda's JSON log format the line may arrive wrapped, with ours as its `message`.
 */
export function auditRecordOf(line: string): AuditRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    const start = line.indexOf('{'); // a plain-text prefix (timestamp, request id) before the JSON
    if (start <= 0) return undefined;
    return auditRecordOf(line.slice(start));
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const entry = parsed as { message?: unknown; audit?: unknown };
  if (entry.message === 'tool call' && entry.audit && typeof entry.audit === 'object') {
    const record = entry.audit as AuditRecord;
    return typeof record.time === 'string' && typeof record.agentId === 'string' && typeof record.tool === 'string'
      ? record
      : undefined;
  }
  if (typeof entry.message === 'string' && entry.message.startsWith('{')) return auditRecordOf(entry.message);
  return undefined;
}

/**
 * Writes the audit records found in log lines to the audit table, 25 per BatchWriteItem, retrying what DynamoDB
 * leaves unprocessed. The item key is derived from the log line's id, so a redelivered line overwrites its own record:
 * exactly one record per call, however often CloudWatch delivers it.
 */
export async function ingestAuditLines(
  options: { client: DynamoDBClient; tableName: string; retentionDays: number },
  lines: readonly LogLine[],
): Promise<number> {
  const requests: WriteRequest[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    if (seen.has(line.id)) continue; // one batch may not name a key twice
    seen.add(line.id);
    const record = auditRecordOf(line.message);
    if (!record) continue;
    const item = auditItem(record, options.retentionDays, line.id);
    requests.push({ PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) } });
  }
  for (let i = 0; i < requests.length; i += 25) {
    let pending: WriteRequest[] = requests.slice(i, i + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === 8) throw new Error(`${pending.length} audit records were not written after ${attempt} attempts`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      const output = await options.client.send(
        new BatchWriteItemCommand({ RequestItems: { [options.tableName]: pending } }),
      );
      pending = output.UnprocessedItems?.[options.tableName] ?? [];
    }
  }
  return requests.length;
}
