import {
  type AttributeValue,
  ConditionalCheckFailedException,
  GetItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { createApiKey, hashApiKey, looksLikeApiKey, type NewApiKey } from '../auth/api-keys.js';
import { API_KEY_SORT_KEY, type ApiKeyItem, apiKeyItemSchema, type RateLimit } from '../registry/table.js';
import { AdminError } from './admin-error.js';
import { checkScopes, type MalformedItemHandler, type TableStore } from './store.js';

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

/** An API key as operators see it: everything but the key and its hash (the key id is the only handle). */
export interface ApiKeySummary {
  keyId: string;
  agentId: string;
  tenant: string;
  scopes: string[];
  description: string | null;
  rateLimit: RateLimit | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  status: ApiKeyStatus;
}

/** Agent ids and tenants name who calls in audit records and rate counters: no spaces, no `#`, at most 128. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
const KEY_ID_PATTERN = /^key_[0-9a-f]{16}$/;

/** Only these attributes are read: never `PK` (the key's hash). */
const SUMMARY_ATTRIBUTES = [
  'keyId',
  'agentId',
  'tenant',
  'scopes',
  'createdAt',
  'expiresAt',
  'revokedAt',
  'description',
  'rateLimit',
] as const;
const summarySchema = apiKeyItemSchema.omit({ PK: true, SK: true });

export function apiKeyStatus(item: Pick<ApiKeyItem, 'expiresAt' | 'revokedAt'>, now: Date = new Date()): ApiKeyStatus {
  if (item.revokedAt) return 'revoked';
  if (item.expiresAt && Date.parse(item.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}

function summarize(item: Omit<ApiKeyItem, 'PK' | 'SK'>, now: Date): ApiKeySummary {
  return {
    keyId: item.keyId,
    agentId: item.agentId,
    tenant: item.tenant,
    scopes: [...item.scopes],
    description: item.description ?? null,
    rateLimit: item.rateLimit ?? null,
    createdAt: item.createdAt,
    expiresAt: item.expiresAt ?? null,
    revokedAt: item.revokedAt ?? null,
    status: apiKeyStatus(item, now),
  };
}

export interface IssuedApiKey {
  /** The key itself: show it once, it is not stored anywhere. */
  key: string;
  summary: ApiKeySummary;
}

/** Checks the input and creates a key (only its SHA-256 is stored). */
export async function issueApiKey(store: TableStore, input: NewApiKey, now: Date = new Date()): Promise<IssuedApiKey> {
  if (!AGENT_ID_PATTERN.test(input.agentId)) {
    throw new AdminError(
      'INVALID_INPUT',
      `Invalid agent id ${JSON.stringify(input.agentId)}: 1-128 letters, digits and . _ : @ / + = -`,
    );
  }
  if (input.tenant !== undefined && !AGENT_ID_PATTERN.test(input.tenant)) {
    throw new AdminError(
      'INVALID_INPUT',
      `Invalid tenant ${JSON.stringify(input.tenant)}: 1-128 letters, digits and . _ : @ / + = -`,
    );
  }
  const scopes = checkScopes(input.scopes);
  if (scopes.length === 0) {
    throw new AdminError('INVALID_INPUT', 'A key needs at least one scope (`*` grants every scope).');
  }
  if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) {
    throw new AdminError('INVALID_INPUT', `The expiry ${input.expiresAt.toISOString()} is not in the future.`);
  }
  if (input.description !== undefined && !input.description.trim()) {
    throw new AdminError('INVALID_INPUT', 'The description is empty.');
  }
  const created = await createApiKey(store, { ...input, scopes, description: input.description?.trim() });
  const { PK: _hash, SK: _sk, ...item } = created.item;
  return { key: created.key, summary: summarize(item, now) };
}

/** Every API key, oldest first. Items that do not parse are skipped (and reported to `onMalformed`). */
export async function listApiKeys(
  store: TableStore,
  options: { now?: Date; onMalformed?: MalformedItemHandler } = {},
): Promise<ApiKeySummary[]> {
  const now = options.now ?? new Date();
  const keys: ApiKeySummary[] = [];
  for await (const raw of scanKeys(store)) {
    const parsed = summarySchema.safeParse(raw);
    if (parsed.success) keys.push(summarize(parsed.data, now));
    else options.onMalformed?.(String(raw.keyId ?? '(no keyId)'), parsed.error.issues[0]?.message ?? 'invalid');
  }
  return keys.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}

/** Scans the API key items, reading only the summary attributes (plus `PK` where `withHash`). */
async function* scanKeys(
  store: TableStore,
  filter: { keyId?: string; withHash?: boolean } = {},
): AsyncGenerator<Record<string, unknown>> {
  const attributes: string[] = [...SUMMARY_ATTRIBUTES, ...(filter.withHash ? ['PK'] : [])];
  const names = Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name]));
  const values: Record<string, AttributeValue> = { ':sk': { S: API_KEY_SORT_KEY } };
  let expression = 'SK = :sk';
  if (filter.keyId) {
    values[':keyId'] = { S: filter.keyId };
    expression += ' AND keyId = :keyId';
  }
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await store.client.send(
      new ScanCommand({
        TableName: store.tableName,
        FilterExpression: expression,
        ProjectionExpression: Object.keys(names).join(', '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) yield unmarshall(item);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/**
 * Revokes a key by its id (`key_…`; the key itself is accepted too). Instances stop accepting it within their
 * `AUTH_CACHE_TTL_MS`. Refuses an unknown key id and a key already revoked.
 */
export async function revokeApiKey(
  store: TableStore,
  keyIdOrKey: string,
  options: { now?: Date } = {},
): Promise<ApiKeySummary> {
  const now = options.now ?? new Date();
  const keyId = looksLikeApiKey(keyIdOrKey) ? `key_${hashApiKey(keyIdOrKey).slice(0, 16)}` : keyIdOrKey;
  if (!KEY_ID_PATTERN.test(keyId)) {
    throw new AdminError(
      'INVALID_INPUT',
      `Invalid key id ${JSON.stringify(keyIdOrKey)}: key ids look like key_0123456789abcdef.`,
    );
  }
  let found: Record<string, unknown> | undefined;
  for await (const item of scanKeys(store, { keyId, withHash: true })) {
    found = item;
    break;
  }
  if (!found || typeof found.PK !== 'string') {
    throw new AdminError('KEY_NOT_FOUND', `No API key with id ${keyId}.`);
  }
  if (typeof found.revokedAt === 'string') {
    throw new AdminError('KEY_ALREADY_REVOKED', `The key ${keyId} was already revoked at ${found.revokedAt}.`);
  }
  const key = { PK: { S: found.PK }, SK: { S: API_KEY_SORT_KEY } };
  try {
    const output = await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: key,
        UpdateExpression: 'SET revokedAt = :now',
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':now': { S: now.toISOString() } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const { PK: _hash, SK: _sk, ...item } = apiKeyItemSchema.parse(unmarshall(output.Attributes ?? {}));
    return summarize(item, now);
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // Someone else revoked (or deleted) it between our read and our write.
    const current = await store.client.send(
      new GetItemCommand({ TableName: store.tableName, Key: key, ConsistentRead: true }),
    );
    const revokedAt = current.Item?.revokedAt?.S;
    if (revokedAt) {
      throw new AdminError('KEY_ALREADY_REVOKED', `The key ${keyId} was already revoked at ${revokedAt}.`, {
        cause: error,
      });
    }
    throw new AdminError('KEY_NOT_FOUND', `No API key with id ${keyId}.`, { cause: error });
  }
}
