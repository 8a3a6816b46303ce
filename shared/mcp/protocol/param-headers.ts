import type { ParamHeader } from '../../tools/param-headers.js';
import { excerpt, JsonRpcError } from '../json-rpc.js';
import { decodeHeaderValue } from './routing-headers.js';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const mismatch = (message: string, header: string) =>
  new JsonRpcError('HeaderMismatch', `Header mismatch: ${message}`, { data: { header } });

function valueAt(args: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = args;
  for (const key of path) {
    if (!isObject(value)) return undefined;
    value = value[key];
  }
  return value;
}

function agrees(type: ParamHeader['type'], sent: string, value: unknown): boolean {
  if (type === 'string') return sent === value;
  if (type === 'boolean') return sent === String(value);
  // Integers compare as numbers: `42.0` and `42` agree.
  return typeof value === 'number' && /^-?\d+(\.0+)?$/.test(sent) && Number(sent) === value;
}

/**
 * Every `Mcp-Param-*` header the tool defines must agree with its argument: present (decoded from `=?base64?…?=`)
 * and equal when the argument has a value, ignored when it has none. A disagreement is -32020 with HTTP 400.
 */
export function checkParamHeaders(
  paramHeaders: readonly ParamHeader[],
  headers: Readonly<Record<string, string | undefined>>,
  args: Record<string, unknown>,
): void {
  for (const { path, header, type } of paramHeaders) {
    const value = valueAt(args, path);
    if (value === undefined || value === null) continue;
    const raw = headers[header.toLowerCase()];
    if (raw === undefined) {
      throw mismatch(`${header} is required: the argument ${path.join('.')} is ${excerpt(value, 40)}.`, header);
    }
    const sent = decodeHeaderValue(header, raw);
    if (!agrees(type, sent, value)) {
      throw mismatch(
        `${header} is ${excerpt(sent, 40)} but the argument ${path.join('.')} is ${excerpt(value, 40)}.`,
        header,
      );
    }
  }
}
