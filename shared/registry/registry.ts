import { LoadingCache } from '../cache/loading-cache.js';
import { RegistryUnavailableError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import type { ToolDefinition } from '../tools/define-tool.js';
import type { ManifestStore } from './manifest-store.js';
import { buildSnapshot, type RegistrySnapshot } from './snapshot.js';

export interface Registry {
  /** The current snapshot: cached for `ttlMs`, the last good one while DynamoDB fails. */
  snapshot(): Promise<RegistrySnapshot>;
}

export interface RegistryOptions {
  store: ManifestStore;
  codeTools: readonly ToolDefinition[];
  ttlMs: number;
  logger: Logger;
  /** While serving a stale snapshot, how long to wait before asking DynamoDB again. */
  retryAfterMs?: number;
  now?: () => number;
}

export function createRegistry(options: RegistryOptions): Registry {
  const now = options.now ?? Date.now;
  const cache = new LoadingCache<'snapshot', RegistrySnapshot>({
    ttlMs: options.ttlMs,
    serveStaleOnError: true,
    retryAfterMs: options.retryAfterMs ?? Math.min(1_000, Math.max(options.ttlMs, 100)),
    now,
    load: async () => buildSnapshot(options.codeTools, await options.store.loadAll(), now()),
    onStale: (_key, error) =>
      options.logger.warn('registry refresh failed; serving the last good snapshot', { error: error as Error }),
  });
  return {
    async snapshot() {
      try {
        return await cache.get('snapshot');
      } catch (error) {
        options.logger.error('registry unavailable and nothing cached', { error: error as Error });
        throw new RegistryUnavailableError({ cause: error });
      }
    },
  };
}
