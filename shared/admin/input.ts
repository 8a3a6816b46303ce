import { isTenantId, TENANT_ID_RULE } from '../tenants/tenants.js';
import { AdminError } from './admin-error.js';

/** Checks of operators' input shared by the admin operations. */

/** Called for each item that does not parse, so a caller can warn instead of failing the whole listing. */
export type MalformedItemHandler = (id: string, problem: string) => void;

/** Scope tokens as OAuth defines them (RFC 6749 §3.3): printable ASCII without spaces, `"` or `\`. */
export const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

/** Checks a list of scopes; returns it without duplicates. */
export function checkScopes(scopes: readonly string[]): string[] {
  for (const scope of scopes) {
    if (!SCOPE_PATTERN.test(scope)) {
      throw new AdminError(
        'INVALID_INPUT',
        `Invalid scope ${JSON.stringify(scope)}: use printable characters without spaces, quotes or backslashes.`,
      );
    }
  }
  return [...new Set(scopes)];
}

/** Checks a tenant id given to an admin function. */
export function checkTenant(tenant: string): string {
  if (!isTenantId(tenant)) {
    throw new AdminError('INVALID_INPUT', `Invalid tenant ${JSON.stringify(tenant)}: ${TENANT_ID_RULE}.`);
  }
  return tenant;
}
