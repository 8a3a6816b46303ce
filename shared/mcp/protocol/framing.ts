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
    const suffix = `"resultType":"complete"${cache ? `,"ttlMs":${cache.ttlMs},"cacheScope":"${cache.cacheScope}"` : ''},"_meta":${JSON.stringify({ [META.serverInfo]: serverInfo })}}`;
    const body = result.json.trimEnd();
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
