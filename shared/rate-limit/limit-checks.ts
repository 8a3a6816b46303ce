import type { Principal } from '../auth/principal.js';
import type { RateLimit } from '../store/items.js';
import type { RateLimiter } from './rate-limiter.js';

/** One limit a call counts against: the counter's subject, the limit, and how a refusal names it. */
export interface LimitCheck {
  subject: string;
  limit: RateLimit;
  /** `for get_weather_forecast`, `for your key across all calls`... */
  what: string;
}

/**
 * The limits one call counts against, in order: the item's per agent (manifest), the agent's across all calls (its
 * key), the tenant's across all its agents (the tenant's policy). Counters are per tenant and agent, so agents of two
 * tenants never share one. Items without limits touch no counter.
 */
export function limitChecks(
  principal: Pick<Principal, 'agentId' | 'tenant' | 'rateLimit'>,
  item: { label: string; rateLimit?: RateLimit | undefined },
  tenantLimit: RateLimit | undefined,
): LimitCheck[] {
  // The common case, a call with no limit: nothing to count, nothing built.
  if (!item.rateLimit && !principal.rateLimit && !tenantLimit) return [];
  // JSON-quoted, so that no tenant or agent id (a token's claims are anyone's) can make two agents' subjects equal.
  const agent = JSON.stringify([principal.tenant, principal.agentId]);
  return [
    ...(item.rateLimit
      ? [{ subject: `${agent}#${item.label}`, limit: item.rateLimit, what: `for ${item.label}` }]
      : []),
    ...(principal.rateLimit
      ? [{ subject: `${agent}#*`, limit: principal.rateLimit, what: 'for your key across all calls' }]
      : []),
    ...(tenantLimit
      ? [
          {
            subject: `TENANT#${JSON.stringify(principal.tenant)}`,
            limit: tenantLimit,
            what: `for your tenant (${principal.tenant}) across all its agents`,
          },
        ]
      : []),
  ];
}

/** What counting a call against its limits came to. */
export type LimitOutcome =
  | { kind: 'allowed' }
  | { kind: 'refused'; check: LimitCheck; retryAfterSeconds: number }
  | { kind: 'unavailable'; error: unknown };

/**
 * Counts the call against each limit in turn; the first full window refuses it. Fails closed: a limit that cannot
 * be counted (no limiter, DynamoDB unreachable) refuses the call.
 */
export async function consumeLimits(
  checks: readonly LimitCheck[],
  limiter: RateLimiter | undefined,
): Promise<LimitOutcome> {
  for (const check of checks) {
    try {
      if (!limiter) throw new Error('a rate limit is set but no audit table is configured for the counters');
      const decision = await limiter.consume(check.subject, check.limit);
      if (!decision.allowed) return { kind: 'refused', check, retryAfterSeconds: decision.retryAfterSeconds };
    } catch (error) {
      return { kind: 'unavailable', error };
    }
  }
  return { kind: 'allowed' };
}
