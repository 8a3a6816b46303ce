/**
 * JSON-RPC 2.0 as MCP uses it: the error codes on the wire (one table, named), the error the endpoint raises, and the
 * classification of an incoming message that trusts nothing about its shape.
 */

/** Every JSON-RPC error code the endpoint answers with, by name. */
export const JsonRpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** MCP 2025-06-18 and 2025-11-25: `resources/read` of a resource the server does not have (2026-07-28 uses -32602). */
  ResourceNotFound: -32002,
  /** MCP 2026-07-28: a routing header is missing, malformed or disagrees with the body. */
  HeaderMismatch: -32020,
  /** MCP 2026-07-28: the request needs a client capability the client did not declare in `_meta`. */
  MissingRequiredClientCapability: -32021,
  /** MCP 2026-07-28: the request's protocol version is not one the server speaks. */
  UnsupportedProtocolVersion: -32022,
} as const;

export type JsonRpcErrorName = keyof typeof JsonRpcErrorCode;
export type JsonRpcErrorCodeValue = (typeof JsonRpcErrorCode)[JsonRpcErrorName];

/** The HTTP status of an error that answers a request on its own, unless the error says otherwise. */
const DEFAULT_STATUS: Record<JsonRpcErrorName, number> = {
  ParseError: 400,
  InvalidRequest: 400,
  MethodNotFound: 200,
  InvalidParams: 200,
  InternalError: 200,
  ResourceNotFound: 200,
  HeaderMismatch: 400,
  MissingRequiredClientCapability: 400,
  UnsupportedProtocolVersion: 400,
};

/**
 * A JSON-RPC error raised while handling a request: its name decides the code, `data` is sent as is, and `status` is
 * the HTTP status when it answers the request on its own (protocol-level rejections are 4xx; errors a method answers
 * in band, like an unknown tool, are 200).
 */
export class JsonRpcError extends Error {
  readonly code: JsonRpcErrorCodeValue;
  readonly data?: unknown;
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;

  constructor(
    readonly errorName: JsonRpcErrorName,
    message: string,
    options: { data?: unknown; status?: number; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'JsonRpcError';
    this.code = JsonRpcErrorCode[errorName];
    if (options.data !== undefined) this.data = options.data;
    this.status = options.status ?? DEFAULT_STATUS[errorName];
    if (options.headers) this.headers = options.headers;
  }
}

export type JsonRpcId = string | number;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}

export type IncomingMessage =
  | { kind: 'request'; message: JsonRpcRequest }
  | { kind: 'notification'; message: JsonRpcNotification }
  | { kind: 'response' }
  | { kind: 'invalid'; id: JsonRpcId | null; reason: string; error?: Extract<JsonRpcErrorName, 'InvalidParams'> };

/** Longest request id and method name accepted: they are echoed and logged, so a caller may not make them huge. */
export const MAX_ID_LENGTH = 200;
export const MAX_METHOD_LENGTH = 200;

/** Deepest nesting of objects and arrays a message may have: deeper ones are refused before anything walks them. */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests objects and arrays more than `max` levels deep (checked without recursion). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const values: object[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const current = values.pop() as Record<string, unknown>;
    const depth = depths.pop()!;
    if (depth >= max) return true;
    if (Array.isArray(current)) {
      for (const child of current) {
        if (typeof child === 'object' && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in current) {
        const child = current[key];
        if (typeof child === 'object' && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}

/** A request id: a string, or an integer JSON numbers carry exactly (beyond 2^53 an id would not survive the echo). */
function isId(value: unknown): value is JsonRpcId {
  return (typeof value === 'string' && value.length <= MAX_ID_LENGTH) || Number.isSafeInteger(value);
}

/** Classifies one JSON-RPC message without trusting its shape. */
export function classifyMessage(value: unknown): IncomingMessage {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'invalid', id: null, reason: 'a JSON-RPC message must be an object' };
  }
  const message = value as Record<string, unknown>;
  const id = isId(message.id) ? message.id : null;
  if (message.jsonrpc !== '2.0') return { kind: 'invalid', id, reason: '"jsonrpc" must be "2.0"' };
  // One walk of the whole message; only a message that is too deep is walked again, to say where.
  if (nestsDeeperThan(message, MAX_JSON_DEPTH)) {
    if (nestsDeeperThan(message.params, MAX_JSON_DEPTH - 1)) {
      const reason = `"params" may nest objects and arrays at most ${MAX_JSON_DEPTH - 1} levels deep`;
      return { kind: 'invalid', id, reason, error: 'InvalidParams' };
    }
    return {
      kind: 'invalid',
      id,
      reason: `a message may nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep`,
    };
  }
  if ('method' in message) {
    if (typeof message.method !== 'string' || message.method === '') {
      return { kind: 'invalid', id, reason: '"method" must be a non-empty string' };
    }
    if (message.method.length > MAX_METHOD_LENGTH) {
      return { kind: 'invalid', id, reason: `"method" must be at most ${MAX_METHOD_LENGTH} characters` };
    }
    if ('result' in message || 'error' in message) {
      return { kind: 'invalid', id, reason: 'a message is a request or a response, not both' };
    }
    if (
      message.params !== undefined &&
      (typeof message.params !== 'object' || message.params === null || Array.isArray(message.params))
    ) {
      return { kind: 'invalid', id, reason: '"params" must be an object' };
    }
    if (!('id' in message)) return { kind: 'notification', message: message as unknown as JsonRpcNotification };
    if (!isId(message.id)) {
      return {
        kind: 'invalid',
        id: null,
        reason: `"id" must be a string of at most ${MAX_ID_LENGTH} characters or an integer below 2^53`,
      };
    }
    return { kind: 'request', message: message as unknown as JsonRpcRequest };
  }
  if (('result' in message || 'error' in message) && 'id' in message) return { kind: 'response' };
  return { kind: 'invalid', id, reason: 'expected a request ("method" and "id"), a notification or a response' };
}

/** A caller-chosen value as error messages quote it: JSON, cut to `max` characters. */
export function excerpt(value: unknown, max = 80): string {
  const text = JSON.stringify(value ?? null) ?? 'null';
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * An error response. An id that could not be read is left out (MCP's schema has no `null` id; JSON-RPC's `null`
 * means the same).
 */
export function errorResponse(id: JsonRpcId | null, code: number, message: string, data?: unknown) {
  return {
    jsonrpc: '2.0' as const,
    ...(id === null ? {} : { id }),
    error: { code, message, ...(data === undefined ? {} : { data }) },
  };
}

/** The response text of an error. */
export function errorJson(id: JsonRpcId | null, error: JsonRpcError): string {
  return JSON.stringify(errorResponse(id, error.code, error.message, error.data));
}

/** The response text of a result whose JSON is already serialized. */
export function resultJson(id: JsonRpcId, result: string): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${result}}`;
}

export type JsonRpcResponse = { jsonrpc: '2.0'; id: JsonRpcId; result: unknown } | ReturnType<typeof errorResponse>;
