import type { DiscoverResult, ServerCapabilities } from '@modelcontextprotocol/server';
import type { Method } from '../dispatch/method.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../protocol/versions.js';

/**
 * `server/discover` (MCP 2026-07-28): the versions served (both eras: a client that cannot speak 2026-07-28 picks a
 * legacy one and opens with `initialize`), the capabilities and the instructions. The same for every caller, so
 * shared caches may keep it (`public`).
 */
export function serverDiscoverMethod(options: {
  instructions?: string;
  ttlMs: number;
  capabilities: ServerCapabilities;
}): Method {
  const result: DiscoverResult = {
    supportedVersions: [...SUPPORTED_PROTOCOL_VERSIONS],
    capabilities: options.capabilities,
    ...(options.instructions ? { instructions: options.instructions } : {}),
  };
  return {
    eras: ['modern'],
    cache: { ttlMs: options.ttlMs, cacheScope: 'public' },
    handle: () => ({ value: result }),
  };
}
