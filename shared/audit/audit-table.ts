import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Logger } from '../logging/logger.js';
import type { AuditRecord, AuditSink } from './audit.js';

/**
 * The audit table (`PK`/`SK` strings, TTL on `expiresAt`, index `byTool` on `GSI1PK`/`GSI1SK`):
 *
 * | item          | PK                         | SK                                  | GSI1PK        | GSI1SK                           |
 * |---------------|----------------------------|-------------------------------------|---------------|----------------------------------|
 * | audit record  | `AGENT#<agentId>`          | `<time ISO>#<requestId>#<callId>`   | `TOOL#<tool>` | `<time ISO>#<agentId>#<requestId>` |
 * | rate counter  | `RATE#<agentId>#<tool\|*>` | `W#<window start, epoch seconds>`   |               |                                  |
 *
 * ISO-8601 UTC times sort as strings, so "this agent's (or tool's) calls between two times" is one Query.
 */
export const AUDIT_BY_TOOL_INDEX = 'byTool';

export const agentPartition = (agentId: string) => `AGENT#${agentId}`;
export const toolPartition = (tool: string) => `TOOL#${tool}`;

export interface AuditItem extends AuditRecord {
  PK: string;
  SK: string;
  GSI1PK: string;
  GSI1SK: string;
  /** Epoch seconds; DynamoDB's TTL deletes the record after it. */
  expiresAt: number;
}

export function auditItem(record: AuditRecord, retentionDays: number, callId: string): AuditItem {
  return {
    ...record,
    PK: agentPartition(record.agentId),
    SK: `${record.time}#${record.requestId}#${callId}`,
    GSI1PK: toolPartition(record.tool),
    GSI1SK: `${record.time}#${record.agentId}#${record.requestId}#${callId}`,
    expiresAt: Math.floor(Date.parse(record.time) / 1000) + retentionDays * 86_400,
  };
}

export interface DynamoAuditSinkOptions {
  client: DynamoDBClient;
  tableName: string;
  retentionDays: number;
  logger: Logger;
}

/**
 * Writes each record to the audit table and as a structured log line (the line is written first and always, so a
 * record survives a DynamoDB failure in the logs). One PutItem per call, conditional so nothing is overwritten.
 */
export function createDynamoAuditSink(options: DynamoAuditSinkOptions): AuditSink {
  let sequence = 0;
  return {
    async record(record) {
      options.logger.info('tool call', { audit: record });
      const callId = `${process.pid.toString(36)}.${(++sequence).toString(36)}`;
      await options.client.send(
        new PutItemCommand({
          TableName: options.tableName,
          Item: marshall(auditItem(record, options.retentionDays, callId), { removeUndefinedValues: true }),
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
    },
  };
}

export interface AuditQuery {
  agentId?: string;
  tool?: string;
  /** ISO-8601, inclusive. */
  since: string;
  /** ISO-8601, exclusive. @default now */
  until?: string;
  /** @default 1000 */
  limit?: number;
}

/** Audit records, oldest first: by agent (table), by tool (index), or all (scan, for small tables and ad-hoc use). */
export async function queryAudit(client: DynamoDBClient, tableName: string, input: AuditQuery): Promise<AuditRecord[]> {
  // Times are compared as strings, so both bounds take the exact form records use (`toISOString()`).
  const query = { ...input, since: isoTime(input.since, 'since') };
  const until = input.until === undefined ? new Date(Date.now() + 1000).toISOString() : isoTime(input.until, 'until');
  const limit = query.limit ?? 1000;
  const records: AuditRecord[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(pageCommand(tableName, query, until, startKey));
    for (const raw of page.Items ?? []) {
      const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, expiresAt: _ttl, ...record } = unmarshall(raw) as AuditItem;
      if (query.agentId && query.tool && record.tool !== query.tool) continue;
      records.push(record);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey && records.length < limit);
  records.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return records.slice(0, limit);
}

function isoTime(value: string, name: string): string {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new Error(`"${name}" is not a date: ${value}`);
  return time.toISOString();
}

function pageCommand(tableName: string, query: AuditQuery, until: string, startKey?: Record<string, AttributeValue>) {
  const range = { ':since': { S: query.since }, ':until': { S: until } };
  if (query.agentId) {
    return new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :since AND :until',
      ExpressionAttributeValues: { ':pk': { S: agentPartition(query.agentId) }, ...range },
      ExclusiveStartKey: startKey,
    });
  }
  if (query.tool) {
    return new QueryCommand({
      TableName: tableName,
      IndexName: AUDIT_BY_TOOL_INDEX,
      KeyConditionExpression: 'GSI1PK = :pk AND GSI1SK BETWEEN :since AND :until',
      ExpressionAttributeValues: { ':pk': { S: toolPartition(query.tool) }, ...range },
      ExclusiveStartKey: startKey,
    });
  }
  return new ScanCommand({
    TableName: tableName,
    FilterExpression: 'begins_with(PK, :agent) AND #time >= :since AND #time < :until',
    ExpressionAttributeNames: { '#time': 'time' },
    ExpressionAttributeValues: { ':agent': { S: 'AGENT#' }, ...range },
    ExclusiveStartKey: startKey,
  });
}
