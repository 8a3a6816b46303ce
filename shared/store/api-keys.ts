import {
  type AttributeValue,
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { rateLimitSchema, scopeListSchema, type TableRef } from './items.js';

/**
 * API keys in the registry table (beside the tool manifests of tool-manifests.ts). Only the key's SHA-256 is stored:
 *
 * | item    | PK                | SK       | attributes                                                                  |
 * |---------|-------------------|----------|-----------------------------------------------------------------------------|
 * | API key | `APIKEY#<sha256>` | `APIKEY` | keyId, agentId, tenant, role, scopes, createdAt, expiresAt?, revokedAt?,    |
 * |         |                   |          | description?, rateLimit?                                                    |
 *
 * `role` is `agent` (an agent's credential for the MCP endpoint; items written before roles existed are agents) or
 * `tenant-admin` (a credential for the admin API, administering its tenant only; it calls no tool).
 */
export const API_KEY_SORT_KEY = 'APIKEY';

export const apiKeyPartition = (keyHash: string) => `APIKEY#${keyHash}`;

/** What a key is for: calling tools as an agent, or administering one tenant through the admin API. */
export const API_KEY_ROLES = ['agent', 'tenant-admin'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export const apiKeyItemSchema = z.object({
  PK: z.string().startsWith('APIKEY#'),
  SK: z.literal(API_KEY_SORT_KEY),
  keyId: z.string().min(1),
  agentId: z.string().min(1),
  tenant: z.string().min(1).default('default'),
  role: z.enum(API_KEY_ROLES).default('agent'),
  scopes: scopeListSchema,
  createdAt: z.iso.datetime(),
  /** ISO-8601; the key is refused from then on. A malformed date makes the whole item invalid (refused). */
  expiresAt: z.iso.datetime().optional(),
  /** ISO-8601; set when the key is revoked. */
  revokedAt: z.iso.datetime().optional(),
  description: z.string().optional(),
  /** Calls per window for this agent across all tools. */
  rateLimit: rateLimitSchema.optional(),
});

export type ApiKeyItem = z.infer<typeof apiKeyItemSchema>;

/** A key as listed: every attribute but the hash. */
export type ApiKeyRecord = Omit<ApiKeyItem, 'PK' | 'SK'>;
const recordSchema = apiKeyItemSchema.omit({ PK: true, SK: true });

/** What a listing reads: never `PK` (the key's hash). */
const RECORD_ATTRIBUTES = Object.keys(recordSchema.shape);

export type RevokeOutcome =
  | { revoked: true; record: ApiKeyRecord }
  | { revoked: false; reason: 'not-found' }
  | { revoked: false; reason: 'already-revoked'; revokedAt: string };

export interface ApiKeyStore {
  /** Stores a new key's item; refuses to replace one (a hash collision is not a thing to overwrite). */
  create(item: ApiKeyItem): Promise<void>;
  /** The item of a key hash, strongly consistent; null when absent; `onMalformed` hears of one that does not parse. */
  get(keyHash: string, onMalformed?: (issues: z.core.$ZodIssue[]) => void): Promise<ApiKeyItem | null>;
  /** Every key (a Scan: admin use), without hashes; items that do not parse are reported and skipped. */
  list(onMalformed?: (keyId: string, problem: string) => void): Promise<ApiKeyRecord[]>;
  /** Revokes the key with this id, once; with `tenant`, only a key of that tenant (another's is `not-found`). */
  revoke(keyId: string, now: Date, tenant?: string): Promise<RevokeOutcome>;
}

export function createApiKeyStore({ client, tableName }: TableRef): ApiKeyStore {
  async function* scan(filter: { keyId?: string; withHash?: boolean } = {}) {
    const attributes = [...RECORD_ATTRIBUTES, ...(filter.withHash ? ['PK'] : [])];
    const names = Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name]));
    const values: Record<string, AttributeValue> = { ':sk': { S: API_KEY_SORT_KEY } };
    let expression = 'SK = :sk';
    if (filter.keyId) {
      values[':keyId'] = { S: filter.keyId };
      expression += ' AND keyId = :keyId';
    }
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: tableName,
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

  return {
    async create(item) {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: marshall(item, { removeUndefinedValues: true }),
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
    },

    async get(keyHash, onMalformed) {
      const output = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { PK: { S: apiKeyPartition(keyHash) }, SK: { S: API_KEY_SORT_KEY } },
          ConsistentRead: true,
        }),
      );
      if (!output.Item) return null;
      const parsed = apiKeyItemSchema.safeParse(unmarshall(output.Item));
      if (parsed.success) return parsed.data;
      onMalformed?.(parsed.error.issues);
      return null;
    },

    async list(onMalformed) {
      const records: ApiKeyRecord[] = [];
      for await (const raw of scan()) {
        const parsed = recordSchema.safeParse(raw);
        if (parsed.success) records.push(parsed.data);
        else onMalformed?.(String(raw.keyId ?? '(no keyId)'), parsed.error.issues[0]?.message ?? 'invalid');
      }
      return records;
    },

    async revoke(keyId, now, tenant) {
      let found: Record<string, unknown> | undefined;
      for await (const item of scan({ keyId, withHash: true })) {
        found = item;
        break;
      }
      if (!found || typeof found.PK !== 'string') return { revoked: false, reason: 'not-found' };
      // Items written before tenants existed are the default tenant's, as the item schema says.
      if (tenant !== undefined && (found.tenant ?? 'default') !== tenant)
        return { revoked: false, reason: 'not-found' };
      if (typeof found.revokedAt === 'string') {
        return { revoked: false, reason: 'already-revoked', revokedAt: found.revokedAt };
      }
      const key = { PK: { S: found.PK }, SK: { S: API_KEY_SORT_KEY } };
      try {
        const output = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression: 'SET revokedAt = :now',
            ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(revokedAt)',
            ExpressionAttributeValues: { ':now': { S: now.toISOString() } },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const { PK: _hash, SK: _sk, ...record } = apiKeyItemSchema.parse(unmarshall(output.Attributes ?? {}));
        return { revoked: true, record };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Someone else revoked (or deleted) it between our read and our write.
        const current = await client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
        const revokedAt = current.Item?.revokedAt?.S;
        return revokedAt
          ? { revoked: false, reason: 'already-revoked', revokedAt }
          : { revoked: false, reason: 'not-found' };
      }
    },
  };
}
