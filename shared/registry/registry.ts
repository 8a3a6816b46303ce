import { LoadingCache } from '../cache/loading-cache.js';
import { RegistryUnavailableError } from '../errors/errors.js';
import type { HttpToolCompiler } from '../http-tools/compile-http-tool.js';
import type { OutboundOptions } from '../http-tools/outbound/outbound-client.js';
import type { Logger } from '../logging/logger.js';
import type { ToolManifest } from '../store/tool-manifests.js';
import type { PromptDefinition } from '../tools/define-prompt.js';
import type { ResourceDefinition } from '../tools/define-resource.js';
import type { HttpToolDefinition, ToolDefinition } from '../tools/define-tool.js';
import type { ManifestStore } from './manifest-store.js';
import { buildSnapshot, type RegistrySnapshot } from './snapshot.js';

export interface Registry {
  /** The current snapshot: cached for `ttlMs`, the last good one while DynamoDB fails. */
  snapshot(): Promise<RegistrySnapshot>;
}

export interface RegistryOptions {
  store: ManifestStore;
  codeTools: readonly ToolDefinition[];
  /** The folder resources and prompts (functions/resources, functions/prompts). */
  codeResources?: readonly ResourceDefinition[];
  codePrompts?: readonly PromptDefinition[];
  ttlMs: number;
  logger: Logger;
  /** While serving a stale snapshot, how long to wait before asking DynamoDB again. */
  retryAfterMs?: number;
  now?: () => number;
  /** Where manifest-only HTTP tools may connect (OUTBOUND_ALLOWED_CIDRS, OUTBOUND_DNS_SERVERS). */
  outbound?: OutboundOptions;
}

export function createRegistry(options: RegistryOptions): Registry {
  const now = options.now ?? Date.now;
  // The HTTP-tool runtime (and ajv with it) is loaded on the first snapshot that has an HTTP tool, never before:
  // instances serving code tools only do not pay for it at cold start.
  let compiler: Promise<HttpToolCompiler> | undefined;
  const httpTools = async (manifests: Map<string, ToolManifest>): Promise<Map<string, HttpToolDefinition>> => {
    const http = [...manifests.values()].filter((manifest) => manifest.source === 'http');
    if (http.length === 0 && !compiler) return new Map();
    compiler ??= import('../http-tools/compile-http-tool.js').then(({ createHttpToolCompiler }) =>
      createHttpToolCompiler({ outbound: options.outbound ?? {}, logger: options.logger }),
    );
    compiler.catch(() => {
      compiler = undefined; // a failed import is retried on the next refresh
    });
    return (await compiler).compile(http);
  };
  const cache = new LoadingCache<'snapshot', RegistrySnapshot>({
    ttlMs: options.ttlMs,
    serveStaleOnError: true,
    retryAfterMs: options.retryAfterMs ?? Math.min(1_000, Math.max(options.ttlMs, 100)),
    now,
    load: async () => {
      const [manifests, tenants] = await Promise.all([options.store.loadAll(), options.store.loadTenants?.()]);
      return buildSnapshot(options.codeTools, manifests, now(), await httpTools(manifests), {
        resources: options.codeResources,
        prompts: options.codePrompts,
        ...(tenants ? { tenants } : {}),
      });
    },
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
