import { gunzipSync } from 'node:zlib';
import { type AuditWrite, createAuditRecordStore } from '../store/audit-records.js';
import type { TableRef } from '../store/items.js';
import { AUDIT_LINE_MESSAGE, AUDIT_START_LINE_MESSAGE, type AuditRecord } from './audit.js';

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

export interface IngestOptions extends TableRef {
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
  const store = createAuditRecordStore<AuditRecord>(options);
  const byKey = new Map<string, AuditWrite<AuditRecord>>();
  for (const line of lines) {
    const record = auditRecordOf(line.message);
    if (!record) continue;
    const write = { record, fallbackId: line.id };
    const key = store.keyOf(write);
    const earlier = byKey.get(key);
    if (earlier && earlier.record.outcome !== 'started' && record.outcome === 'started') continue;
    byKey.set(key, write);
  }
  await store.putMany([...byKey.values()], options.onRejected);
  return byKey.size;
}
