import { type AttributeValue, GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { policyUpdate, rateLimitSchema, scopeListSchema, type TableRef } from './items.js';

/**
 * Tenants' policies in the registry table (beside the tool manifests and API keys). A tenant needs no item to exist:
 * keys and tokens name it; the item holds what operators set for it.
 *
 * | item   | PK       | SK          | attributes                                          |
 * |--------|----------|-------------|-----------------------------------------------------|
 * | tenant | `TENANT` | tenant id   | description?, rateLimit?, grantableScopes?, version, createdAt, updatedAt |
 */
export const TENANT_PARTITION = 'TENANT';

export const tenantItemSchema = z.object({
  PK: z.literal(TENANT_PARTITION),
  SK: z.string().min(1),
  description: z.string().min(1).optional(),
  /** Calls per window across all the tenant's agents. Absent means none (and no counter is touched). */
  rateLimit: rateLimitSchema.optional(),
  /** The scopes the tenant's admin may grant its agents' keys (`*`: any). Absent: its admin makes no agent key. */
  grantableScopes: scopeListSchema.optional(),
  version: z.number().int().nonnegative().default(1),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
});

export type TenantItem = z.infer<typeof tenantItemSchema>;

export interface TenantChange {
  set: Partial<Pick<TenantItem, 'description' | 'rateLimit' | 'grantableScopes'>>;
  remove: readonly ('description' | 'rateLimit' | 'grantableScopes')[];
}

export interface TenantStore {
  /** Every tenant item that parses, by tenant id (one strongly consistent, paginated Query). */
  readAll(options?: {
    onMalformed?: (tenant: string, issues: z.core.$ZodIssue[]) => void;
  }): Promise<Map<string, TenantItem>>;
  get(tenant: string): Promise<TenantItem | undefined>;
  /** Creates or changes a tenant's item, bumping its version; the item as written. */
  update(tenant: string, change: TenantChange, now: Date): Promise<TenantItem>;
}

const keyOf = (tenant: string) => ({ PK: { S: TENANT_PARTITION }, SK: { S: tenant } });

export function createTenantStore({ client, tableName }: TableRef): TenantStore {
  return {
    async readAll(options = {}) {
      const tenants = new Map<string, TenantItem>();
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': { S: TENANT_PARTITION } },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const raw of page.Items ?? []) {
          const parsed = tenantItemSchema.safeParse(unmarshall(raw));
          if (parsed.success) tenants.set(parsed.data.SK, parsed.data);
          else options.onMalformed?.(String(raw.SK?.S), parsed.error.issues);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return tenants;
    },

    async get(tenant) {
      const output = await client.send(
        new GetItemCommand({ TableName: tableName, Key: keyOf(tenant), ConsistentRead: true }),
      );
      return output.Item ? tenantItemSchema.parse(unmarshall(output.Item)) : undefined;
    },

    async update(tenant, change, now) {
      const output = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: keyOf(tenant),
          ...policyUpdate(change, now, { stampCreated: true }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return tenantItemSchema.parse(unmarshall(output.Attributes ?? {}));
    },
  };
}
