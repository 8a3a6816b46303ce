import { type AttributeValue, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AuditRecord } from '../audit/audit.js';
import { AUDIT_BY_TOOL_INDEX, type AuditItem, agentPartition, toolPartition } from '../audit/audit-table.js';
import { AdminError } from './admin-error.js';
import type { TableStore } from './store.js';

export interface AuditSearch {
  agentId?: string;
  tool?: string;
  /** ISO-8601, inclusive. */
  since: string;
  /** ISO-8601, exclusive. @default now */
  until?: string;
  /** The most recent records to return. @default 100 */
  limit?: number;
}

export interface AuditPage {
  /** The latest `limit` records of the range, oldest first. */
  records: AuditRecord[];
  /** True when the range holds older records than those returned. */
  truncated: boolean;
}

const byTimeDescending = (a: AuditRecord, b: AuditRecord) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0);

/**
 * The latest audit records of a time range: by agent (a Query on the table), by tool (a Query on the `byTool`
 * index), by both (the agent's partition, filtered by tool), or all (a Scan, for small tables and ad-hoc use).
 */
export async function searchAudit(store: TableStore, search: AuditSearch): Promise<AuditPage> {
  const limit = search.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1)
    throw new AdminError('INVALID_INPUT', 'The limit must be a positive integer.');
  // Times compare as strings, so both bounds take the exact form records use (`toISOString()`).
  const since = isoTime(search.since, 'since');
  const until = search.until === undefined ? new Date(Date.now() + 1000).toISOString() : isoTime(search.until, 'until');
  if (since >= until) throw new AdminError('INVALID_INPUT', `The range is empty: ${since} is not before ${until}.`);
  const range = { ':since': { S: since }, ':until': { S: until } };
  const found: AuditRecord[] = [];
  const keyed = Boolean(search.agentId || search.tool);
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    let page: { Items?: Record<string, AttributeValue>[]; LastEvaluatedKey?: Record<string, AttributeValue> };
    if (search.agentId) {
      page = await store.client.send(
        new QueryCommand({
          TableName: store.tableName,
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :since AND :until',
          ...(search.tool ? { FilterExpression: 'tool = :tool' } : {}),
          ExpressionAttributeValues: {
            ':pk': { S: agentPartition(search.agentId) },
            ...range,
            ...(search.tool ? { ':tool': { S: search.tool } } : {}),
          },
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
        }),
      );
    } else if (search.tool) {
      page = await store.client.send(
        new QueryCommand({
          TableName: store.tableName,
          IndexName: AUDIT_BY_TOOL_INDEX,
          KeyConditionExpression: 'GSI1PK = :pk AND GSI1SK BETWEEN :since AND :until',
          ExpressionAttributeValues: { ':pk': { S: toolPartition(search.tool) }, ...range },
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
        }),
      );
    } else {
      page = await store.client.send(
        new ScanCommand({
          TableName: store.tableName,
          FilterExpression: 'begins_with(PK, :agent) AND #time >= :since AND #time < :until',
          ExpressionAttributeNames: { '#time': 'time' },
          ExpressionAttributeValues: { ':agent': { S: 'AGENT#' }, ...range },
          ExclusiveStartKey: startKey,
        }),
      );
    }
    for (const raw of page.Items ?? []) {
      const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, expiresAt: _ttl, ...record } = unmarshall(raw) as AuditItem;
      found.push(record);
    }
    startKey = page.LastEvaluatedKey;
    // Queries read newest first, so one record past the limit is enough to know there are more.
  } while (startKey && !(keyed && found.length > limit));
  found.sort(byTimeDescending);
  return { records: found.slice(0, limit).reverse(), truncated: found.length > limit };
}

function isoTime(value: string, name: string): string {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new AdminError('INVALID_INPUT', `"${name}" is not a date: ${value}`);
  return time.toISOString();
}
