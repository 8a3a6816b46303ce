import { excerpt, JsonRpcError, type JsonRpcRequest } from '../json-rpc.js';

/** Methods whose target is mirrored in `Mcp-Name`, and the param it mirrors. */
const NAMED_TARGET: Readonly<Record<string, 'name' | 'uri'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;
/** RFC 9110 field values: visible ASCII, space and tab. */
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;

const mismatch = (message: string, header: string) =>
  new JsonRpcError('HeaderMismatch', `Header mismatch: ${message}`, { data: { header } });

/** A header value as sent: `=?base64?…?=` decoded (strict base64, UTF-8), anything else as it is. */
export function decodeHeaderValue(header: string, raw: string): string {
  const value = raw.trim();
  if (!FIELD_VALUE.test(value)) throw mismatch(`${header} contains characters a header may not carry.`, header);
  // Only a value both opening with `=?base64?` and closing with `?=` is encoded; anything else is literal.
  if (!(value.startsWith('=?base64?') && value.endsWith('?=') && value.length >= 11)) return value;
  const encoded = SENTINEL.exec(value);
  if (!encoded || encoded[1]!.length % 4 !== 0) {
    throw mismatch(`${header} is not valid "=?base64?…?=" encoding.`, header);
  }
  const bytes = Buffer.from(encoded[1]!, 'base64');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (Buffer.from(text, 'utf8').toString('base64') !== encoded[1]) {
    throw mismatch(`${header} does not decode to UTF-8 text.`, header);
  }
  return text;
}

/**
 * MCP 2026-07-28's routing headers (`Mcp-Method` on every request, `Mcp-Name` for `tools/call`, `prompts/get` and
 * `resources/read`) must be present and equal the body, so that a gateway routing on them and this server acting on
 * the body agree. Values are case-sensitive; surrounding whitespace is not part of them.
 */
export function checkRoutingHeaders(
  headers: Readonly<Record<string, string | undefined>>,
  request: Pick<JsonRpcRequest, 'method' | 'params'>,
): void {
  const method = headers['mcp-method'];
  if (method === undefined) throw mismatch('the Mcp-Method header is required.', 'Mcp-Method');
  const sentMethod = decodeHeaderValue('Mcp-Method', method);
  if (sentMethod !== request.method) {
    throw mismatch(
      `Mcp-Method is ${excerpt(sentMethod)} but the body's method is ${excerpt(request.method)}.`,
      'Mcp-Method',
    );
  }
  const target = NAMED_TARGET[request.method];
  if (!target) return;
  const name = headers['mcp-name'];
  const bodyValue = request.params?.[target];
  if (name === undefined) {
    // A body without the target is answered by the method itself (-32602 naming the missing param).
    if (bodyValue === undefined) return;
    throw mismatch(`the Mcp-Name header is required for ${request.method}.`, 'Mcp-Name');
  }
  const sentName = decodeHeaderValue('Mcp-Name', name);
  if (sentName !== bodyValue) {
    throw mismatch(`Mcp-Name is ${excerpt(sentName)} but the body's ${target} is ${excerpt(bodyValue)}.`, 'Mcp-Name');
  }
}
