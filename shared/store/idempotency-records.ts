import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { TableRef } from './items.js';
import { AUDIT_TABLE } from './table-schemas.js';

/**
 * Idempotency records in the audit table (beside audit-records.ts and rate-counters.ts), expiring through its TTL:
 *
 * | item               | PK            | SK     | attributes                                                            |
 * |--------------------|---------------|--------|-----------------------------------------------------------------------|
 * | idempotency record | `IDEM#<key>`  | `IDEM` | status, argumentsDigest, callId, requestId, lockedUntil, expiresAt;   |
 * |                    |               |        | once completed: result?, resultOmitted?, outcome, errorCode?, completedAt |
 *
 * `<key>` is a digest the caller makes (of the tenant, agent, tool and key); this module knows nothing of what is in it.
 * DynamoDB's TTL deletes an expired item some time after `expiresAt`, so every read and write here treats an item past
 * its `expiresAt` as absent, and an in-progress item past its `lockedUntil` as abandoned.
 */
export const IDEMPOTENCY_PARTITION_PREFIX = 'IDEM#';
const SORT_KEY = 'IDEM';
const TTL = AUDIT_TABLE.ttlAttribute;

export type IdempotencyStatus = 'in_progress' | 'completed';

export interface IdempotencyRecord {
  key: string;
  status: IdempotencyStatus;
  argumentsDigest: string;
  /** The call that holds (or held) the key. */
  callId: string;
  requestId: string;
  /** Epoch ms after which an in-progress record is abandoned (its call's deadline, plus a margin). */
  lockedUntil: number;
  /** Epoch seconds after which the record is gone (DynamoDB TTL). */
  expiresAt: number;
  /** The stored result, as JSON text (completed records whose result was small enough). */
  result?: string;
  /** Why a completed record holds no result (it was too large to store). */
  resultOmitted?: string;
  outcome?: string;
  errorCode?: string;
  completedAt?: string;
}

export interface IdempotencyCompletion {
  result?: string;
  resultOmitted?: string;
  outcome: string;
  errorCode?: string;
  completedAt: string;
  expiresAt: number;
}

export interface IdempotencyRecordStore {
  /**
   * Marks `record.key` in progress for its call with one conditional PutItem: it succeeds only when no live record
   * holds the key (none, expired, or in progress past its lock). False when another live record holds it.
   */
  acquire(record: Omit<IdempotencyRecord, 'status'>, nowMs: number): Promise<boolean>;
  /** The live record of a key (strongly consistent); `undefined` when there is none or it has expired. */
  get(key: string, nowMs: number): Promise<IdempotencyRecord | undefined>;
  /** Completes the key's record, only while `callId` still holds it; false when it no longer does. */
  complete(key: string, callId: string, completion: IdempotencyCompletion): Promise<boolean>;
  /** Deletes the key's record, only while `callId` still holds it, so a retry can run. */
  release(key: string, callId: string): Promise<void>;
}

const keyOf = (key: string) => ({ PK: { S: `${IDEMPOTENCY_PARTITION_PREFIX}${key}` }, SK: { S: SORT_KEY } });

const optionalString = (name: string, value: string | undefined): Record<string, AttributeValue> =>
  value === undefined ? {} : { [name]: { S: value } };

function recordOf(item: Record<string, AttributeValue>): IdempotencyRecord | undefined {
  const pk = item.PK?.S;
  const status = item.status?.S;
  if (!pk?.startsWith(IDEMPOTENCY_PARTITION_PREFIX) || (status !== 'in_progress' && status !== 'completed')) {
    return undefined;
  }
  return {
    key: pk.slice(IDEMPOTENCY_PARTITION_PREFIX.length),
    status,
    argumentsDigest: item.argumentsDigest?.S ?? '',
    callId: item.callId?.S ?? '',
    requestId: item.requestId?.S ?? '',
    lockedUntil: Number(item.lockedUntil?.N ?? 0),
    expiresAt: Number(item[TTL]?.N ?? 0),
    ...(item.result?.S === undefined ? {} : { result: item.result.S }),
    ...(item.resultOmitted?.S === undefined ? {} : { resultOmitted: item.resultOmitted.S }),
    ...(item.outcome?.S === undefined ? {} : { outcome: item.outcome.S }),
    ...(item.errorCode?.S === undefined ? {} : { errorCode: item.errorCode.S }),
    ...(item.completedAt?.S === undefined ? {} : { completedAt: item.completedAt.S }),
  };
}

export function createIdempotencyRecordStore({ client, tableName }: TableRef): IdempotencyRecordStore {
  const heldBy = (callId: string) => ({
    ConditionExpression: 'attribute_exists(PK) AND callId = :callId',
    ExpressionAttributeValues: { ':callId': { S: callId } },
  });
  return {
    async acquire(record, nowMs) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...keyOf(record.key),
              status: { S: 'in_progress' },
              argumentsDigest: { S: record.argumentsDigest },
              callId: { S: record.callId },
              requestId: { S: record.requestId },
              lockedUntil: { N: String(record.lockedUntil) },
              [TTL]: { N: String(record.expiresAt) },
            },
            ConditionExpression:
              'attribute_not_exists(PK) OR #ttl <= :nowSeconds OR (#status = :inProgress AND lockedUntil <= :nowMs)',
            ExpressionAttributeNames: { '#ttl': TTL, '#status': 'status' },
            ExpressionAttributeValues: {
              ':nowSeconds': { N: String(Math.floor(nowMs / 1000)) },
              ':nowMs': { N: String(nowMs) },
              ':inProgress': { S: 'in_progress' },
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async get(key, nowMs) {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: keyOf(key), ConsistentRead: true }),
      );
      const record = Item ? recordOf(Item) : undefined;
      return record && record.expiresAt > Math.floor(nowMs / 1000) ? record : undefined;
    },

    async complete(key, callId, completion) {
      const condition = heldBy(callId);
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(key),
            UpdateExpression: `SET #status = :completed, outcome = :outcome, completedAt = :completedAt, #ttl = :expiresAt${
              completion.result === undefined ? '' : ', #result = :result'
            }${completion.resultOmitted === undefined ? '' : ', resultOmitted = :resultOmitted'}${
              completion.errorCode === undefined ? '' : ', errorCode = :errorCode'
            }`,
            ConditionExpression: condition.ConditionExpression,
            ExpressionAttributeNames: {
              '#status': 'status',
              '#ttl': TTL,
              ...(completion.result === undefined ? {} : { '#result': 'result' }),
            },
            ExpressionAttributeValues: {
              ...condition.ExpressionAttributeValues,
              ':completed': { S: 'completed' },
              ':outcome': { S: completion.outcome },
              ':completedAt': { S: completion.completedAt },
              ':expiresAt': { N: String(completion.expiresAt) },
              ...optionalString(':result', completion.result),
              ...optionalString(':resultOmitted', completion.resultOmitted),
              ...optionalString(':errorCode', completion.errorCode),
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async release(key, callId) {
      try {
        await client.send(new DeleteItemCommand({ TableName: tableName, Key: keyOf(key), ...heldBy(callId) }));
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
}
