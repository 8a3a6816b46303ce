import {
  type AttributeValue,
  BatchWriteItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { TableRef } from './items.js';
import { AUDIT_BY_TENANT_INDEX, AUDIT_BY_TOOL_INDEX, AUDIT_TABLE } from './table-schemas.js';

/**
 * Audit records in the audit table (`PK`/`SK`, TTL on `expiresAt`, index `byTool` on `GSI1PK`/`GSI1SK`; the rate
 * counters of rate-counters.ts share it):
 *
 * | item         | PK                | SK                                | GSI1PK        | GSI1SK                                      |
 * |--------------|-------------------|-----------------------------------|---------------|---------------------------------------------|
 * | audit record | `AGENT#<agentId>` | `<time ISO>#<requestId>#<callId>` | `TOOL#<tool>` | `<time ISO>#<agentId>#<requestId>#<callId>` |
 *
 * and, on the `byTenant` index, GSI2PK `TENANT#<tenant>`, GSI2SK as GSI1SK. ISO-8601 UTC times sort as strings, so
 * "this agent's (tool's, tenant's) calls between two times" is one Query.
 * The record's own fields are the audit feature's (shared/audit/audit.ts); this module needs only those of its key.
 */
export interface AuditKeyFields {
  time: string;
  requestId: string;
  /** Unique per call; absent on records of older versions (a fallback id then stands in). */
  callId?: string;
  agentId: string;
  /** The caller's tenant (absent on records of older versions, which the `byTenant` index then does not hold). */
  tenant?: string;
  tool: string;
  /** `started` marks a call whose end is not recorded yet: its end replaces it. */
  outcome: string;
  arguments?: unknown;
}

const TTL = AUDIT_TABLE.ttlAttribute;

type AuditItem<R> = R & {
  PK: string;
  SK: string;
  GSI1PK: string;
  GSI1SK: string;
  GSI2PK?: string;
  GSI2SK?: string;
  [TTL]: number;
};

/** DynamoDB refuses items over 400 KB; records are kept well under it. */
const MAX_ITEM_BYTES = 300_000;

/**
 * The item of a record. Its key is the call's (`callId`, or `fallbackId` for records without one), so a call's start
 * marker, its end and any redelivery of either land on one item. A record too large for an item (raw arguments that
 * opted in, mostly) is stored without its arguments, saying so, never refused.
 */
function auditItem<R extends AuditKeyFields>(record: R, retentionDays: number, fallbackId: string): AuditItem<R> {
  const callId = record.callId ?? fallbackId;
  const item: AuditItem<R> = {
    ...record,
    PK: `AGENT#${record.agentId}`,
    SK: `${record.time}#${record.requestId}#${callId}`,
    GSI1PK: `TOOL#${record.tool}`,
    GSI1SK: `${record.time}#${record.agentId}#${record.requestId}#${callId}`,
    ...(record.tenant === undefined
      ? {}
      : {
          GSI2PK: `TENANT#${record.tenant}`,
          GSI2SK: `${record.time}#${record.agentId}#${record.requestId}#${callId}`,
        }),
    [TTL]: Math.floor(Date.parse(record.time) / 1000) + retentionDays * 86_400,
  };
  if (Buffer.byteLength(JSON.stringify(item)) <= MAX_ITEM_BYTES) return item;
  const { arguments: _dropped, ...rest } = item;
  return { ...rest, argumentsOmitted: 'too large to store' } as unknown as AuditItem<R>;
}

/** A start marker never replaces anything; an end replaces only its own start marker. */
function conditionFor(record: AuditKeyFields) {
  return record.outcome === 'started'
    ? { ConditionExpression: 'attribute_not_exists(PK)' }
    : {
        ConditionExpression: 'attribute_not_exists(PK) OR #outcome = :started',
        ExpressionAttributeNames: { '#outcome': 'outcome' },
        ExpressionAttributeValues: { ':started': { S: 'started' } },
      };
}

const isValidation = (error: unknown) => (error as Error | undefined)?.name === 'ValidationException';
const isConditionFailed = (error: unknown) => (error as Error | undefined)?.name === 'ConditionalCheckFailedException';

/** A record to write, with the id that keys it when it has no `callId` (a log line's id, say). */
export interface AuditWrite<R> {
  record: R;
  fallbackId: string;
}

export interface AuditSearchRange {
  /** ISO-8601 (`toISOString()` form), inclusive. */
  since: string;
  /** ISO-8601, exclusive. */
  until: string;
}

export interface AuditRecordStore<R extends AuditKeyFields> {
  /**
   * Writes one record: a start marker only where nothing is recorded, an end over nothing or its own start marker (a
   * late marker is dropped: the end is there already). Throws what DynamoDB throws.
   */
  put(write: AuditWrite<R>): Promise<void>;
  /**
   * Writes records that are all different calls: ends 25 per BatchWriteItem (what DynamoDB leaves unprocessed is
   * retried), start markers one conditional PutItem each. A batch DynamoDB refuses as invalid is written item by item,
   * so one bad record never takes its neighbours with it; `onRejected` hears of a record refused on its own. Anything
   * else (DynamoDB unreachable) throws, for the caller to retry.
   */
  putMany(writes: readonly AuditWrite<R>[], onRejected?: (record: R, error: unknown) => void): Promise<void>;
  /** The key two writes of the same call share (to collapse them before writing). */
  keyOf(write: AuditWrite<R>): string;
}

export function createAuditRecordStore<R extends AuditKeyFields>(
  options: TableRef & { retentionDays: number },
): AuditRecordStore<R> {
  const { client, tableName, retentionDays } = options;
  const itemOf = ({ record, fallbackId }: AuditWrite<R>) => auditItem(record, retentionDays, fallbackId);

  /** One record, conditional: a start marker never replaces anything, an end only its own start marker. */
  const putConditional = (write: AuditWrite<R>) =>
    client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall(itemOf(write), { removeUndefinedValues: true }),
        ...conditionFor(write.record),
      }),
    );

  /** One conditional PutItem for a batch's record: a refused (invalid) record is reported and skipped. */
  async function putOne(write: AuditWrite<R>, onRejected?: (record: R, error: unknown) => void) {
    try {
      await putConditional(write);
    } catch (error) {
      if (isConditionFailed(error)) return; // the end is there already
      if (!isValidation(error)) throw error;
      onRejected?.(write.record, error);
    }
  }

  async function writeBatch(batch: readonly AuditWrite<R>[], onRejected?: (record: R, error: unknown) => void) {
    let pending: WriteRequest[] = batch.map((write) => ({
      PutRequest: { Item: marshall(itemOf(write), { removeUndefinedValues: true }) },
    }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === 8) throw new Error(`${pending.length} audit records were not written after ${attempt} attempts`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      try {
        const output = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
        pending = output.UnprocessedItems?.[tableName] ?? [];
      } catch (error) {
        if (!isValidation(error)) throw error;
        for (const write of batch) await putOne(write, onRejected);
        return;
      }
    }
  }

  return {
    async put(write) {
      try {
        await putConditional(write);
      } catch (error) {
        // The end of the call was written first (a marker arriving late): the record is already complete.
        if (isConditionFailed(error) && write.record.outcome === 'started') return;
        throw error;
      }
    },

    async putMany(writes, onRejected) {
      const ends = writes.filter((write) => write.record.outcome !== 'started');
      const starts = writes.filter((write) => write.record.outcome === 'started');
      for (let i = 0; i < ends.length; i += 25) await writeBatch(ends.slice(i, i + 25), onRejected);
      for (const write of starts) await putOne(write, onRejected);
    },

    keyOf(write) {
      const item = itemOf(write);
      return `${item.PK}\u0000${item.SK}`;
    },
  };
}

/**
 * Records of a time range, newest first when keyed (by agent: a Query on the table; by tenant: on the `byTenant`
 * index; by tool: on the `byTool` index; the other fields given filter the Query), in table order for none (a Scan).
 * Pages until `enough` says so.
 */
export async function searchAuditRecords<R extends AuditKeyFields>(
  { client, tableName }: TableRef,
  filter: AuditSearchRange & { agentId?: string; tool?: string; tenant?: string },
  enough: (found: readonly R[]) => boolean,
): Promise<R[]> {
  const values: Record<string, AttributeValue> = { ':since': { S: filter.since }, ':until': { S: filter.until } };
  const names: Record<string, string> = {};
  const filters: string[] = [];
  const filterOn = (attribute: 'tool' | 'tenant' | 'agentId', value: string | undefined) => {
    if (value === undefined) return;
    names[`#${attribute}`] = attribute;
    values[`:${attribute}`] = { S: value };
    filters.push(`#${attribute} = :${attribute}`);
  };
  // The most selective key the search names; the other fields filter what it reads.
  const key = filter.agentId
    ? { index: undefined, pk: 'PK', sk: 'SK', value: `AGENT#${filter.agentId}` }
    : filter.tenant
      ? { index: AUDIT_BY_TENANT_INDEX, pk: 'GSI2PK', sk: 'GSI2SK', value: `TENANT#${filter.tenant}` }
      : filter.tool
        ? { index: AUDIT_BY_TOOL_INDEX, pk: 'GSI1PK', sk: 'GSI1SK', value: `TOOL#${filter.tool}` }
        : undefined;
  if (key?.pk !== 'PK') filterOn('agentId', filter.agentId);
  if (key?.pk !== 'GSI2PK') filterOn('tenant', filter.tenant);
  if (key?.pk !== 'GSI1PK') filterOn('tool', filter.tool);
  const found: R[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    let page: { Items?: Record<string, AttributeValue>[]; LastEvaluatedKey?: Record<string, AttributeValue> };
    if (key) {
      values[':pk'] = { S: key.value };
      page = await client.send(
        new QueryCommand({
          TableName: tableName,
          ...(key.index ? { IndexName: key.index } : {}),
          KeyConditionExpression: `${key.pk} = :pk AND ${key.sk} BETWEEN :since AND :until`,
          ...(filters.length ? { FilterExpression: filters.join(' AND '), ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
        }),
      );
    } else {
      page = await client.send(
        new ScanCommand({
          TableName: tableName,
          FilterExpression: 'begins_with(PK, :agent) AND #time >= :since AND #time < :until',
          ExpressionAttributeNames: { '#time': 'time' },
          ExpressionAttributeValues: { ':agent': { S: 'AGENT#' }, ...values },
          ExclusiveStartKey: startKey,
        }),
      );
    }
    for (const raw of page.Items ?? []) {
      const {
        PK: _pk,
        SK: _sk,
        GSI1PK: _g1,
        GSI1SK: _g2,
        GSI2PK: _t1,
        GSI2SK: _t2,
        [TTL]: _ttl,
        ...record
      } = unmarshall(raw);
      found.push(record as R);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey && !enough(found));
  return found;
}
