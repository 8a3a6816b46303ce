import type { Principal } from '../../auth/principal.js';
import type { ReadResult, ResourceContent } from '../../tools/define-resource.js';
import type { Method } from '../dispatch/method.js';
import { JsonRpcError } from '../json-rpc.js';
import { auditRefusal, type ItemServices, resourceNotFound, serveItem } from '../serve-item.js';

/** Stored results a tool call was answered with as resource links: read back by the principal that made the call. */
export interface ResultLinks {
  /** True when `uri` is one of ours (its scheme), whoever asks. */
  owns(uri: string): boolean;
  /** The stored result for this caller; undefined when it is unknown, expired or another caller's. */
  read(uri: string, principal: Principal): Promise<{ contents: Record<string, unknown>[] } | undefined>;
}

/** URIs are bounded: a longer one names nothing here. */
const MAX_URI_LENGTH = 2_048;

/**
 * `resources/read`, both eras: the resource behind a URI (a static one, or the first template that matches it), if
 * the caller may read it. Anything else, hidden or unknown, gets the same unknown-resource answer (MCP 2026-07-28:
 * -32602 with `data.uri`, never empty contents; 2025-11-25: -32002). Modern answers carry the resource's caching hint,
 * always `private` (what a caller may read depends on who it is).
 */
export function resourcesReadMethod(options: ItemServices & { resultLinks?: ResultLinks }): Method {
  return {
    eras: ['legacy', 'modern'],
    readsRegistry: true,
    async handle(params, context) {
      const { uri } = params;
      if (typeof uri !== 'string' || uri === '') {
        throw new JsonRpcError(
          'InvalidParams',
          'Invalid params: "uri" (the resource to read) is required and must be a string.',
          {
            data: { field: 'uri' },
          },
        );
      }
      const modern = context.protocol.era === 'modern';
      const notFound = () =>
        resourceNotFound(uri.length > MAX_URI_LENGTH ? `${uri.slice(0, MAX_URI_LENGTH)}…` : uri, modern);
      if (uri.length > MAX_URI_LENGTH) throw notFound();
      if (options.resultLinks?.owns(uri)) {
        const stored = await options.resultLinks.read(uri, context.principal);
        if (!stored) throw notFound();
        return { value: { ...stored, ...(modern ? { ttlMs: 0, cacheScope: 'private' } : {}) } };
      }
      const snapshot = context.snapshot!;
      const request = { ...context, snapshot };
      const found = snapshot.readable(uri, context.principal);
      if (!found) {
        await auditRefusal('resource', uri, false, request, options, { uri });
        throw notFound();
      }
      const { resource, variables } = found;
      // Contents are shaped (bytes to base64) before the answer is scrubbed of secrets.
      const contents = await serveItem(
        'resource',
        resource,
        request,
        options,
        { argumentsForAudit: { uri }, notFound },
        async (ctx) =>
          contentsOf(await resource.definition.read({ uri, variables }, ctx), uri, resource.definition.mimeType),
      );
      // A read that found nothing is an unknown resource, never an empty answer (MCP 2026-07-28).
      if (contents.length === 0) throw notFound();
      return {
        value: {
          contents,
          ...(modern ? { ttlMs: resource.definition.cacheTtlMs, cacheScope: 'private' } : {}),
        },
      };
    },
  };
}

/** What a read returned, as `contents`: each with a URI (the one read, unless it names its own) and a MIME type. */
function contentsOf(read: ReadResult, uri: string, mimeType: string | undefined): Record<string, unknown>[] {
  const items: ResourceContent[] = typeof read === 'string' ? [{ text: read }] : Array.isArray(read) ? read : [read];
  return items.map((item) => {
    const base = {
      uri: item.uri ?? uri,
      mimeType: item.mimeType ?? mimeType ?? ('text' in item ? 'text/plain' : 'application/octet-stream'),
      ...(item.annotations ? { annotations: item.annotations } : {}),
    };
    if ('text' in item) return { ...base, text: item.text };
    const blob = typeof item.blob === 'string' ? item.blob : Buffer.from(item.blob).toString('base64');
    return { ...base, blob };
  });
}
