import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Logger } from '../logging/logger.js';
import { type AuditRecord, type AuditSink, createLogAuditSink } from './audit.js';

/**
 * The audit table (`PK`/`SK` strings, TTL on `expiresAt`, index `byTool` on `GSI1PK`/`GSI1SK`):
 *
 * | item          | PK                         | SK                                  | GSI1PK        | GSI1SK                           |
 * |---------------|----------------------------|-------------------------------------|---------------|----------------------------------|
 * | audit record  | `AGENT#<agentId>`          | `<time ISO>#<requestId>#<callId>`   | `TOOL#<tool>` | `<time ISO>#<agentId>#<requestId>` |
 * | rate counter  | `RATE#<agentId>#<tool\|*>` | `W#<window start, epoch seconds>`   |               |                                  |
 *
 * ISO-8601 UTC times sort as strings, so "this agent's (or tool's) calls between two times" is one Query
 * (`searchAudit` in shared/admin/audit.ts).
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

/** DynamoDB refuses items over 400 KB; records are kept well under it. */
const MAX_ITEM_BYTES = 300_000;

/**
 * The audit-table item of a record. Its key is the call's (`callId`, or `fallbackId` for records without one), so a
 * call's start marker, its end and any redelivery of either land on one item. A record too large for an item (raw
 * arguments that opted in, mostly) is stored without its arguments, saying so, never refused.
 */
export function auditItem(record: AuditRecord, retentionDays: number, fallbackId: string): AuditItem {
  const callId = record.callId ?? fallbackId;
  const item: AuditItem = {
    ...record,
    PK: agentPartition(record.agentId),
    SK: `${record.time}#${record.requestId}#${callId}`,
    GSI1PK: toolPartition(record.tool),
    GSI1SK: `${record.time}#${record.agentId}#${record.requestId}#${callId}`,
    expiresAt: Math.floor(Date.parse(record.time) / 1000) + retentionDays * 86_400,
  };
  if (Buffer.byteLength(JSON.stringify(item)) <= MAX_ITEM_BYTES) return item;
  const { arguments: _dropped, ...rest } = item;
  return { ...rest, argumentsOmitted: 'too large to store' } as AuditItem;
}

/** A start marker never replaces anything; an end replaces only its own start marker. */
export function conditionFor(record: AuditRecord): {
  ConditionExpression: string;
  ExpressionAttributeValues?: Record<string, { S: string }>;
  ExpressionAttributeNames?: Record<string, string>;
} {
  return record.outcome === 'started'
    ? { ConditionExpression: 'attribute_not_exists(PK)' }
    : {
        ConditionExpression: 'attribute_not_exists(PK) OR #outcome = :started',
        ExpressionAttributeNames: { '#outcome': 'outcome' },
        ExpressionAttributeValues: { ':started': { S: 'started' } },
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
 * record survives a DynamoDB failure in the logs). One PutItem per record, conditional: nothing is overwritten but a
 * call's own start marker by its end.
 */
export function createDynamoAuditSink(options: DynamoAuditSinkOptions): AuditSink {
  const lines = createLogAuditSink(options.logger);
  let sequence = 0;
  return {
    async record(record) {
      await lines.record(record);
      const fallbackId = `${process.pid.toString(36)}.${(++sequence).toString(36)}`;
      try {
        await options.client.send(
          new PutItemCommand({
            TableName: options.tableName,
            Item: marshall(auditItem(record, options.retentionDays, fallbackId), { removeUndefinedValues: true }),
            ...conditionFor(record),
          }),
        );
      } catch (error) {
        // The end of the call was written first (a marker arriving late): the record is already complete.
        if ((error as Error).name === 'ConditionalCheckFailedException' && record.outcome === 'started') return;
        throw error;
      }
    },
  };
}
