import type { HttpResponse } from './http-types.js';
import { errorJson, JsonRpcError, type JsonRpcErrorName, type JsonRpcId } from './json-rpc.js';

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

/** A JSON response that no cache keeps. */
export function jsonResponse(statusCode: number, body: string, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body };
}

/** A JSON-RPC error as the whole HTTP response, with the error's status and headers. */
export function errorHttpResponse(id: JsonRpcId | null, error: JsonRpcError): HttpResponse {
  return jsonResponse(error.status, errorJson(id, error), { ...error.headers });
}

/** A rejection of the HTTP request itself (before its body is read): no id to echo. */
export function rejection(
  status: number,
  name: JsonRpcErrorName,
  message: string,
  headers?: Record<string, string>,
): HttpResponse {
  return errorHttpResponse(null, new JsonRpcError(name, message, { status, ...(headers ? { headers } : {}) }));
}
