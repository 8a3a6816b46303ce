/** JSON-RPC 2.0 error codes used on the wire. */
export const JsonRpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Server-defined: a dependency (the registry) is unavailable; retry later. */
  ServiceUnavailable: -32000,
} as const;

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
  | { kind: 'invalid'; id: JsonRpcId | null; reason: string };

const isId = (value: unknown): value is JsonRpcId =>
  typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));

/** Classifies one JSON-RPC message without trusting its shape. */
export function classifyMessage(value: unknown): IncomingMessage {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'invalid', id: null, reason: 'a JSON-RPC message must be an object' };
  }
  const message = value as Record<string, unknown>;
  const id = isId(message.id) ? message.id : null;
  if (message.jsonrpc !== '2.0') return { kind: 'invalid', id, reason: '"jsonrpc" must be "2.0"' };
  if ('method' in message) {
    if (typeof message.method !== 'string' || message.method === '') {
      return { kind: 'invalid', id, reason: '"method" must be a non-empty string' };
    }
    if (
      message.params !== undefined &&
      (typeof message.params !== 'object' || message.params === null || Array.isArray(message.params))
    ) {
      return { kind: 'invalid', id, reason: '"params" must be an object' };
    }
    if (!('id' in message)) return { kind: 'notification', message: message as unknown as JsonRpcNotification };
    if (!isId(message.id)) return { kind: 'invalid', id: null, reason: '"id" must be a string or an integer' };
    return { kind: 'request', message: message as unknown as JsonRpcRequest };
  }
  if (('result' in message || 'error' in message) && 'id' in message) return { kind: 'response' };
  return { kind: 'invalid', id, reason: 'expected a request ("method" and "id"), a notification or a response' };
}

export function errorResponse(id: JsonRpcId | null, code: number, message: string, data?: unknown) {
  return { jsonrpc: '2.0' as const, id, error: { code, message, ...(data === undefined ? {} : { data }) } };
}

export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: JsonRpcId | null; result: unknown }
  | ReturnType<typeof errorResponse>;
