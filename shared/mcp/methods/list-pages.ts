import type { ListKind } from '../../registry/snapshot.js';
import type { Method } from '../dispatch/method.js';
import { JsonRpcError } from '../json-rpc.js';

/**
 * A paginated list method of both eras (`tools/list`, `resources/list`, `resources/templates/list`, `prompts/list`):
 * one page of what the caller may use, precomputed once per registry snapshot and scope set (so the cost is
 * independent of the registry's size), in name order. The answer depends on the caller's scopes, so its caching hint
 * is `private`; it is fresh for as long as an instance keeps a snapshot.
 */
export function listMethod(kind: ListKind, method: string, options: { pageSize?: number; ttlMs: number }): Method {
  return {
    eras: ['legacy', 'modern'],
    readsRegistry: true,
    cache: { ttlMs: options.ttlMs, cacheScope: 'private' },
    handle(params, { snapshot, principal }) {
      const cursor = params.cursor;
      if (cursor !== undefined && typeof cursor !== 'string') {
        throw new JsonRpcError('InvalidParams', 'Invalid params: "cursor" must be a string.', {
          data: { field: 'cursor' },
        });
      }
      const page = snapshot!.listingFor(principal, { cursor, pageSize: options.pageSize, kind });
      if (page === undefined) {
        throw new JsonRpcError('InvalidParams', `Invalid cursor: pass the nextCursor of a previous ${method}.`, {
          data: { field: 'cursor' },
        });
      }
      return { json: page };
    },
  };
}
