import { JsonRpcError, type JsonRpcNotification, type JsonRpcRequest } from '../json-rpc.js';
import { claimedVersion, type RequestMeta, readRequestMeta } from './request-meta.js';
import { checkRoutingHeaders } from './routing-headers.js';
import { isLegacyProtocolVersion, MODERN_PROTOCOL_VERSIONS, SUPPORTED_PROTOCOL_VERSIONS } from './versions.js';

/**
 * How one request is served. The era decides framing only (what a result carries, which methods exist); both eras
 * reach the same dispatcher.
 * - modern (2026-07-28): every request names its version and the client's capabilities in `_meta`;
 * - legacy (2025-11-25 and older): the client negotiated a version with `initialize` and names it in the
 *   `MCP-Protocol-Version` header (absent before 2025-06-18, and on `initialize` itself).
 */
export type Protocol = { era: 'modern'; version: string; meta: RequestMeta } | { era: 'legacy'; version?: string };

export type Era = Protocol['era'];

const unsupported = (requested: string) =>
  new JsonRpcError('UnsupportedProtocolVersion', `Unsupported protocol version: ${requested.slice(0, 40)}`, {
    data: { supported: [...SUPPORTED_PROTOCOL_VERSIONS], requested },
  });

/**
 * Whether a message speaks the modern protocol: it claims a version in `_meta` (a legacy request carries no such
 * key), or its `MCP-Protocol-Version` header names a version that is not a legacy one. Other routing headers are
 * not a sign of the era: some legacy clients send `Mcp-Method` too.
 */
export function isModern(header: string | undefined, message: Pick<JsonRpcRequest, 'params'>): boolean {
  const claimed = claimedVersion(message.params);
  if (claimed !== undefined && !(typeof claimed === 'string' && isLegacyProtocolVersion(claimed))) return true;
  return header !== undefined && !isLegacyProtocolVersion(header);
}

/**
 * The protocol of one request, checked as MCP 2026-07-28 requires of a modern one, in this order: a header version
 * the server does not speak, with nothing claimed in the body (-32022); the required `_meta` fields (-32602); the
 * `MCP-Protocol-Version` header present and equal to `_meta`'s version (-32020); the version supported (-32022); the
 * routing headers equal to the body (-32020). Every refusal is HTTP 400.
 */
export function resolveProtocol(
  headers: Readonly<Record<string, string | undefined>>,
  request: JsonRpcRequest,
): Protocol {
  const header = headers['mcp-protocol-version']?.trim();
  if (!isModern(header, request)) return header === undefined ? { era: 'legacy' } : { era: 'legacy', version: header };
  if (
    header !== undefined &&
    claimedVersion(request.params) === undefined &&
    !SUPPORTED_PROTOCOL_VERSIONS.includes(header)
  ) {
    throw unsupported(header);
  }
  const meta = readRequestMeta(request.params);
  if (header === undefined) {
    throw new JsonRpcError('HeaderMismatch', 'Header mismatch: the MCP-Protocol-Version header is required.', {
      data: { header: 'MCP-Protocol-Version' },
    });
  }
  if (header !== meta.protocolVersion) {
    throw new JsonRpcError(
      'HeaderMismatch',
      `Header mismatch: MCP-Protocol-Version is "${header.slice(0, 40)}" but _meta names "${meta.protocolVersion.slice(0, 40)}".`,
      { data: { header: 'MCP-Protocol-Version' } },
    );
  }
  if (!MODERN_PROTOCOL_VERSIONS.includes(meta.protocolVersion)) throw unsupported(meta.protocolVersion);
  checkRoutingHeaders(headers, request);
  return { era: 'modern', version: meta.protocolVersion, meta };
}

/**
 * A notification is accepted (202) in either era; the only check is that a version header, when sent, names a
 * version the server speaks.
 */
export function checkNotificationVersion(
  headers: Readonly<Record<string, string | undefined>>,
  notification: JsonRpcNotification,
): void {
  const header = headers['mcp-protocol-version']?.trim();
  if (header !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(header)) throw unsupported(header);
  const claimed = claimedVersion(notification.params);
  if (typeof claimed === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(claimed)) throw unsupported(claimed);
}
