/**
 * Tenants: the teams or customers one cluster serves. A principal belongs to one (its API key's, or its token's
 * tenant claim); tools, resources and prompts may be restricted to some, a tenant may own HTTP tools of its own, its
 * agents' secrets resolve to its own first, and it may have a rate limit across its agents.
 */

/** The tenant of keys and tokens that name none: the platform's own. Its secrets are the shared ones. */
export const DEFAULT_TENANT = 'default';

/**
 * A tenant id that can name a tenant's secrets (`<prefix><tenant>/<name>`) and own tools (`@<tenant>/<name>`): 1-64
 * letters, digits and `. _ -`, starting with a letter or digit (so never `.`, `..` or a path).
 */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** What a refused tenant id should have been, for error messages. */
export const TENANT_ID_RULE = '1-64 letters, digits and . _ - starting with a letter or a digit';

export function isTenantId(tenant: string): boolean {
  return TENANT_ID_PATTERN.test(tenant);
}

/** Whether an item restricted to `tenants` (absent: every tenant) is visible to a caller of `tenant`. */
export function visibleToTenant(tenants: readonly string[] | undefined, tenant: string): boolean {
  return tenants === undefined || tenants.includes(tenant);
}
