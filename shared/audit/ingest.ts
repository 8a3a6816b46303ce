import { gunzipSync } from 'node:zlib';
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { AUDIT_LINE_MESSAGE, AUDIT_START_LINE_MESSAGE, type AuditRecord } from './audit.js';
import { type AuditItem, auditItem, conditionFor } from './audit-table.js';

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
  if (
    (entry.message === AUDIT_LINE_MESSAGE || entry.message === AUDIT_START_LINE_MESSAGE) &&
    entry.audit &&
    typeof entry.audit === 'object'
  ) {
    const record = entry.audit as AuditRecord;
    return typeof record.time === 'string' && typeof record.agentId === 'string' && typeof record.tool === 'string'
      ? record
      : undefined;
  }
  if (typeof entry.message === 'string' && entry.message.startsWith('{')) return auditRecordOf(entry.message);
  return undefined;
}

export interface IngestOptions {
  client: DynamoDBClient;
  tableName: string;
  retentionDays: number;
  /** Hears of a record DynamoDB refuses as invalid (it is skipped; its neighbours are written). */
  onRejected?: (record: AuditRecord, error: unknown) => void;
}

/**
 * Writes the audit records found in log lines to the audit table. Each record's key is its call's, so a redelivered
 * line rewrites its own record, and a call's end replaces its start marker: exactly one record per call, however often
 * and in whatever order the lines arrive. Ends go 25 per BatchWriteItem (what DynamoDB leaves unprocessed is retried);
 * start markers one conditional PutItem each, so a late marker never replaces an end. A batch DynamoDB refuses as
 * invalid is written item by item, so one bad record never takes its neighbours with it. Anything else (DynamoDB
 * unreachable) throws, for the caller to retry the lines.
 */
export async function ingestAuditLines(options: IngestOptions, lines: readonly LogLine[]): Promise<number> {
  const byKey = new Map<string, { record: AuditRecord; item: AuditItem }>();
  for (const line of lines) {
    const record = auditRecordOf(line.message);
    if (!record) continue;
    const item = auditItem(record, options.retentionDays, line.id);
    const key = `${item.PK}\u0000${item.SK}`;
    const earlier = byKey.get(key);
    if (earlier && earlier.record.outcome !== 'started' && record.outcome === 'started') continue;
    byKey.set(key, { record, item });
  }
  const entries = [...byKey.values()];
  const ends = entries.filter((entry) => entry.record.outcome !== 'started');
  const starts = entries.filter((entry) => entry.record.outcome === 'started');
  for (let i = 0; i < ends.length; i += 25) await writeBatch(options, ends.slice(i, i + 25));
  for (const entry of starts) await putOne(options, entry);
  return entries.length;
}

const isValidation = (error: unknown) => (error as Error | undefined)?.name === 'ValidationException';

async function writeBatch(options: IngestOptions, batch: { record: AuditRecord; item: AuditItem }[]): Promise<void> {
  let pending: WriteRequest[] = batch.map(({ item }) => ({
    PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) },
  }));
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === 8) throw new Error(`${pending.length} audit records were not written after ${attempt} attempts`);
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    try {
      const output = await options.client.send(
        new BatchWriteItemCommand({ RequestItems: { [options.tableName]: pending } }),
      );
      pending = output.UnprocessedItems?.[options.tableName] ?? [];
    } catch (error) {
      if (!isValidation(error)) throw error;
      for (const entry of batch) await putOne(options, entry);
      return;
    }
  }
}

async function putOne(options: IngestOptions, { record, item }: { record: AuditRecord; item: AuditItem }) {
  try {
    await options.client.send(
      new PutItemCommand({
        TableName: options.tableName,
        Item: marshall(item, { removeUndefinedValues: true }),
        ...conditionFor(record),
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return; // the end is there already
    if (!isValidation(error)) throw error;
    options.onRejected?.(record, error);
  }
}
