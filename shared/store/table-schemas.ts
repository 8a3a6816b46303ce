/**
 * The tables' key schemas, indexes and TTL attributes: the CDK constructs (infra/cdk/constructs) and the local cluster
 * (`ensureTable` in tables.ts) both build their tables from these, so the deployed and the local tables cannot drift.
 * Every key attribute is a string.
 */
export interface TableSchema {
  partitionKey: string;
  sortKey: string;
  /** Epoch seconds after which DynamoDB's TTL deletes an item. */
  ttlAttribute?: string;
  /** Global secondary indexes, each projecting every attribute. */
  indexes: readonly { name: string; partitionKey: string; sortKey: string }[];
}

/** Tool manifests, API keys and tenants' policies (tool-manifests.ts, api-keys.ts, tenants.ts). */
export const REGISTRY_TABLE = {
  partitionKey: 'PK',
  sortKey: 'SK',
  indexes: [],
} as const satisfies TableSchema;

/** The index of the audit table that answers "calls of this tool over time". */
export const AUDIT_BY_TOOL_INDEX = 'byTool';

/** The index of the audit table that answers "calls of this tenant's agents over time". */
export const AUDIT_BY_TENANT_INDEX = 'byTenant';

/** Audit records (audit-records.ts) and rate-limit counters (rate-counters.ts), both expiring through the TTL. */
export const AUDIT_TABLE = {
  partitionKey: 'PK',
  sortKey: 'SK',
  ttlAttribute: 'expiresAt',
  indexes: [
    { name: AUDIT_BY_TOOL_INDEX, partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
    { name: AUDIT_BY_TENANT_INDEX, partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
  ],
} as const satisfies TableSchema;
