import type { RateLimit, TableRef } from '../store/items.js';
import { rateLimitSchema } from '../store/items.js';
import { createTenantStore, type TenantChange, type TenantItem } from '../store/tenants.js';
import { AdminError } from './admin-error.js';
import { checkScopes, checkTenant } from './input.js';

/** A tenant's policy as operators see it. */
export interface TenantSummary {
  tenant: string;
  description: string | null;
  /** Calls per window across all the tenant's agents; `null`: none. */
  rateLimit: RateLimit | null;
  /** The scopes its admin may grant its agents' keys; `null`: its admin makes no agent key. */
  grantableScopes: string[] | null;
  version: number;
  createdAt: string | null;
  updatedAt: string | null;
}

function summarize(item: TenantItem): TenantSummary {
  return {
    tenant: item.SK,
    description: item.description ?? null,
    rateLimit: item.rateLimit ?? null,
    grantableScopes: item.grantableScopes ? [...item.grantableScopes] : null,
    version: item.version,
    createdAt: item.createdAt ?? null,
    updatedAt: item.updatedAt ?? null,
  };
}

/** A change to a tenant's policy: absent leaves a field as it is, `null` clears it. */
export interface TenantUpdate {
  description?: string | null;
  rateLimit?: RateLimit | null;
  /** `[]` is refused: clear it (`null`) to let the admin grant nothing. */
  grantableScopes?: readonly string[] | null;
}

/**
 * Sets a tenant's policy (creating its item on first use); instances follow within their `REGISTRY_TTL_MS`. Only the
 * platform operator sets tenants' policies.
 */
export async function updateTenant(
  store: TableRef,
  tenant: string,
  update: TenantUpdate,
  options: { now?: Date } = {},
): Promise<TenantSummary> {
  checkTenant(tenant);
  const change: { set: TenantChange['set']; remove: TenantChange['remove'][number][] } = { set: {}, remove: [] };
  if (update.description === null) change.remove.push('description');
  else if (update.description !== undefined) {
    const description = update.description.trim();
    if (!description) throw new AdminError('INVALID_INPUT', 'The description is empty.');
    change.set.description = description;
  }
  if (update.rateLimit === null) change.remove.push('rateLimit');
  else if (update.rateLimit !== undefined) {
    const parsed = rateLimitSchema.safeParse(update.rateLimit);
    if (!parsed.success) {
      throw new AdminError('INVALID_INPUT', 'A rate limit needs a positive limit and a window of 1 s to 1 day.');
    }
    change.set.rateLimit = parsed.data;
  }
  if (update.grantableScopes === null) change.remove.push('grantableScopes');
  else if (update.grantableScopes !== undefined) {
    const scopes = checkScopes(update.grantableScopes);
    if (scopes.length === 0) {
      throw new AdminError(
        'INVALID_INPUT',
        'Name at least one grantable scope (or clear them: its admin grants none).',
      );
    }
    change.set.grantableScopes = scopes.sort();
  }
  if (Object.keys(change.set).length === 0 && change.remove.length === 0) {
    throw new AdminError(
      'NOTHING_TO_UPDATE',
      'Nothing to update: give a rate limit, a description or the scopes its admin may grant.',
    );
  }
  return summarize(await createTenantStore(store).update(tenant, change, options.now ?? new Date()));
}

/** Every tenant with a policy, by id. Tenants that only keys name have none (and no limit). */
export async function listTenants(store: TableRef): Promise<TenantSummary[]> {
  const tenants = [...(await createTenantStore(store).readAll()).values()].map(summarize);
  return tenants.sort((a, b) => (a.tenant < b.tenant ? -1 : 1));
}

/** One tenant's policy; a tenant without an item has an empty one (it exists as soon as a key names it). */
export async function getTenant(store: TableRef, tenant: string): Promise<TenantSummary> {
  checkTenant(tenant);
  const item = await createTenantStore(store).get(tenant);
  return item
    ? summarize(item)
    : {
        tenant,
        description: null,
        rateLimit: null,
        grantableScopes: null,
        version: 0,
        createdAt: null,
        updatedAt: null,
      };
}
