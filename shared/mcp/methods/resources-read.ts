import type { Method } from '../dispatch/method.js';
import { excerpt, JsonRpcError } from '../json-rpc.js';
import type { ResultLinks } from '../result-links.js';

/**
 * `resources/read`, both eras, for the resources this server serves: the stored results of tools/call (result
 * links). A URI that is unknown, expired, malformed or another caller's gets the one answer each era gives an unknown
 * resource: -32602 with `data.uri` in 2026-07-28, -32002 "Resource not found" with `data.uri` before it.
 */
export function resourcesReadMethod(options: { resultLinks: ResultLinks }): Method {
  return {
    eras: ['legacy', 'modern'],
    async handle(params, { principal, protocol }) {
      const uri = params.uri;
      if (typeof uri !== 'string' || uri === '') {
        throw new JsonRpcError(
          'InvalidParams',
          'Invalid params: "uri" (the resource to read) is required and must be a string.',
          {
            data: { field: 'uri' },
          },
        );
      }
      const read = options.resultLinks.owns(uri) ? await options.resultLinks.read(uri, principal) : undefined;
      if (!read) {
        // The URI as asked (within reason: it is echoed), as both eras' specifications show it.
        const data = { uri: uri.slice(0, 2_048) };
        throw protocol.era === 'modern'
          ? new JsonRpcError('InvalidParams', `Unknown resource: ${excerpt(uri)}`, { data })
          : new JsonRpcError('ResourceNotFound', 'Resource not found', { data });
      }
      // A stored result does not change: a 2026-07-28 client may keep it, for this caller only.
      return {
        value: protocol.era === 'modern' ? { ...read, ttlMs: 60_000, cacheScope: 'private' } : { ...read },
      };
    },
  };
}
