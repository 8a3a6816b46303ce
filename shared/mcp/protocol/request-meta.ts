import type { ClientCapabilities, Implementation, LoggingLevel } from '@modelcontextprotocol/server';
import { JsonRpcError } from '../json-rpc.js';

/** The reserved `_meta` keys of MCP 2026-07-28. */
export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
} as const;

export const LOGGING_LEVELS: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

/** What a modern request says of itself in `_meta`: everything the server may know of the client, per request. */
export interface RequestMeta {
  protocolVersion: string;
  clientCapabilities: ClientCapabilities;
  clientInfo?: Implementation;
  /** Notifications of this level and above may be sent for this request; none when absent. */
  logLevel?: LoggingLevel;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `params._meta` of a message, when it is an object. */
export function metaOf(params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const meta = params?._meta;
  return isObject(meta) ? meta : undefined;
}

/** The protocol version a message claims in `_meta`, if it claims one (a string or not). */
export function claimedVersion(params: Record<string, unknown> | undefined): unknown {
  return metaOf(params)?.[META.protocolVersion];
}

const malformed = (message: string, field: string) =>
  new JsonRpcError('InvalidParams', `Invalid _meta: ${message}`, { status: 400, data: { field } });

/**
 * The required fields of a modern request's `_meta`, checked for presence and shape (MCP 2026-07-28: a request
 * missing one is malformed, -32602 with HTTP 400). Versions are compared by the caller.
 */
export function readRequestMeta(params: Record<string, unknown> | undefined): RequestMeta {
  const meta = metaOf(params);
  if (!meta) {
    throw malformed(
      `params._meta is required in protocol 2026-07-28, with "${META.protocolVersion}" and "${META.clientCapabilities}".`,
      'params._meta',
    );
  }
  const protocolVersion = meta[META.protocolVersion];
  if (typeof protocolVersion !== 'string' || protocolVersion === '') {
    throw malformed(`"${META.protocolVersion}" is required and must be a string.`, `_meta.${META.protocolVersion}`);
  }
  const clientCapabilities = meta[META.clientCapabilities];
  if (!isObject(clientCapabilities)) {
    throw malformed(
      `"${META.clientCapabilities}" is required and must be an object ({} when the client has none).`,
      `_meta.${META.clientCapabilities}`,
    );
  }
  const clientInfo = meta[META.clientInfo];
  if (clientInfo !== undefined && !isObject(clientInfo)) {
    throw malformed(`"${META.clientInfo}" must be an object with a name and a version.`, `_meta.${META.clientInfo}`);
  }
  const logLevel = meta[META.logLevel];
  if (logLevel !== undefined && !LOGGING_LEVELS.includes(logLevel as LoggingLevel)) {
    throw malformed(`"${META.logLevel}" must be one of ${LOGGING_LEVELS.join(', ')}.`, `_meta.${META.logLevel}`);
  }
  return {
    protocolVersion,
    clientCapabilities: clientCapabilities as ClientCapabilities,
    ...(clientInfo ? { clientInfo: clientInfo as unknown as Implementation } : {}),
    ...(logLevel ? { logLevel: logLevel as LoggingLevel } : {}),
  };
}

/**
 * The capabilities of `required` the client did not declare: a top-level capability counts as declared when it is
 * an object, a nested one (`elicitation.url`) when its parent declares it too.
 */
export function missingCapabilities(
  declared: ClientCapabilities,
  required: ClientCapabilities,
): ClientCapabilities | undefined {
  const missing: Record<string, unknown> = {};
  for (const [name, wanted] of Object.entries(required)) {
    const have = (declared as Record<string, unknown>)[name];
    if (!isObject(have)) {
      missing[name] = wanted;
      continue;
    }
    if (!isObject(wanted)) continue;
    const nested = Object.fromEntries(Object.entries(wanted).filter(([key]) => !isObject(have[key])));
    if (Object.keys(nested).length) missing[name] = nested;
  }
  return Object.keys(missing).length ? (missing as ClientCapabilities) : undefined;
}
