import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
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
