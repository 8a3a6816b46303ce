/** Who is calling: the identity every authorization decision, rate limit and audit record is keyed on. */
export interface Principal {
  /** Stable id of the calling agent. */
  agentId: string;
  /** Tenant (team, customer) the agent belongs to. */
  tenant: string;
  /** Scopes granted to the credential. `*` grants every scope. */
  scopes: readonly string[];
  /** How the caller proved who it is. */
  method: 'api-key' | 'jwt';
  /** Id of the credential (an API key id, a token's `jti`); never the credential itself. */
  credentialId: string;
  /** The user an agent acts for, when it acts on someone's behalf. */
  onBehalfOf?: string;
  /** Calls per window for this agent across all tools (set on its API key). */
  rateLimit?: { limit: number; windowSeconds: number };
}

/** True when the principal holds every scope in `required`. */
export function hasScopes(principal: Pick<Principal, 'scopes'>, required: readonly string[]): boolean {
  if (required.length === 0 || principal.scopes.includes('*')) return true;
  return required.every((scope) => principal.scopes.includes(scope));
}
