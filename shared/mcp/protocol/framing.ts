import type { Implementation } from '@modelcontextprotocol/server';
import type { CacheHint, MethodResult } from '../dispatch/method.js';
import type { Era } from './era.js';
import { META } from './request-meta.js';

/**
 * A method's result as the request's era sends it. Legacy results go as they are. Modern results (MCP 2026-07-28)
 * carry `resultType` (`complete` unless the method says otherwise), the caching hint of cacheable methods, and the
 * server's identity in `_meta` (`io.modelcontextprotocol/serverInfo`).
 */
export function frameResult(era: Era, result: MethodResult, serverInfo: Implementation, cache?: CacheHint): string {
  if (era === 'legacy') return 'json' in result ? result.json : JSON.stringify(result.value);
  if ('json' in result) {
    // Pre-serialized results (the tools/list pages) are framed by appending to their object, never re-parsed.
    const body = result.json;
    const suffix = modernSuffix(serverInfo, cache);
    return body === '{}' ? `{${suffix}` : `${body.slice(0, -1)},${suffix}`;
  }
  const { _meta, resultType, ...value } = result.value as { _meta?: Record<string, unknown>; resultType?: string };
  return JSON.stringify({
    resultType: resultType ?? 'complete',
    ...value,
    ...cache,
    _meta: { ...(_meta ?? {}), [META.serverInfo]: serverInfo },
  });
}

const NO_HINT: CacheHint = { ttlMs: -1, cacheScope: 'private' };
const suffixes = new WeakMap<Implementation, WeakMap<CacheHint, string>>();

/** What a modern pre-serialized result ends with, built once per server identity and caching hint. */
function modernSuffix(serverInfo: Implementation, cache: CacheHint | undefined): string {
  let byHint = suffixes.get(serverInfo);
  if (!byHint) {
    byHint = new WeakMap();
    suffixes.set(serverInfo, byHint);
  }
  let suffix = byHint.get(cache ?? NO_HINT);
  if (suffix === undefined) {
    const hint = cache ? `,"ttlMs":${cache.ttlMs},"cacheScope":"${cache.cacheScope}"` : '';
    suffix = `"resultType":"complete"${hint},"_meta":${JSON.stringify({ [META.serverInfo]: serverInfo })}}`;
    byHint.set(cache ?? NO_HINT, suffix);
  }
  return suffix;
}
