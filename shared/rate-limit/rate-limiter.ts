import type { TableRef } from '../store/items.js';
import { createRateCounterStore } from '../store/rate-counters.js';
import type { RateLimit } from './rate-limit.js';

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the current window ends (when a refused call may be retried). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Counts one call against `limit` for `subject` (e.g. `agent#tool`); refuses it once the window is full. */
  consume(subject: string, limit: RateLimit): Promise<RateDecision>;
}

/**
 * Fixed windows, counted in DynamoDB (shared/store/rate-counters.ts): the limit is exact whichever instance answers.
 * Counters expire through the table's TTL shortly after their window. Calls to tools without a limit never reach this.
 */
export function createRateLimiter(options: TableRef & { now?: () => number }): RateLimiter {
  const now = options.now ?? Date.now;
  const counters = createRateCounterStore(options);
  return {
    async consume(subject, limit) {
      const nowSeconds = now() / 1000;
      const start = Math.floor(nowSeconds / limit.windowSeconds) * limit.windowSeconds;
      const end = start + limit.windowSeconds;
      const allowed = await counters.increment(subject, { start, limit: limit.limit, expiresAt: end + 60 });
      return { allowed, retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(end - nowSeconds)) };
    },
  };
}
