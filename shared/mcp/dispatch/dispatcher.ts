import type { Implementation } from '@modelcontextprotocol/server';
import type { Redactor } from '../../logging/redactor.js';
import { errorJson, JsonRpcError, type JsonRpcRequest, resultJson } from '../json-rpc.js';
import type { Protocol } from '../protocol/era.js';
import { frameResult } from '../protocol/framing.js';
import type { MethodContext, MethodTable, RequestScope } from './method.js';

/** One answered request: its JSON-RPC response text and the HTTP status it has when it is the only message. */
export interface Answer {
  status: number;
  json: string;
}

export interface DispatcherOptions {
  methods: MethodTable;
  serverInfo: Implementation;
  /** Scrubs known secret values from every answer built per request. */
  /** What an answer to this caller is scrubbed with last: the secrets its tenant's calls resolved. */
  redactorFor(principal: RequestScope['principal']): Redactor;
}

export type Dispatcher = (request: JsonRpcRequest, protocol: Protocol, scope: RequestScope) => Promise<Answer>;

/**
 * One dispatcher for both eras: the method table says which methods exist in which era, each method's handler
 * answers from the request scope, and the era frames the result. A method unknown in the request's era is -32601
 * (HTTP 404 in the modern era, as MCP 2026-07-28 requires); an unexpected failure is -32603 with the request id to
 * find it in the logs.
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { methods } = options;
  return async (request, protocol, scope) => {
    const redactor = options.redactorFor(scope.principal);
    const method = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined;
    try {
      if (!method?.eras.includes(protocol.era)) {
        throw new JsonRpcError('MethodNotFound', `Method not found: ${request.method}`, {
          status: protocol.era === 'modern' ? 404 : 200,
        });
      }
      const context: MethodContext = { ...scope, id: request.id, protocol };
      const result = await method.handle(request.params ?? {}, context);
      const framed = frameResult(protocol.era, result, options.serverInfo, method.cache);
      return { status: 200, json: resultJson(request.id, 'json' in result ? framed : redactor.redact(framed)) };
    } catch (error) {
      if (error instanceof JsonRpcError) {
        return { status: error.status, json: redactor.redact(errorJson(request.id, error)) };
      }
      scope.logger.error('request failed unexpectedly', { method: request.method, error: error as Error });
      const internal = new JsonRpcError(
        'InternalError',
        `Internal error; it was logged with request id ${scope.requestId}.`,
        { status: 500 },
      );
      return { status: internal.status, json: errorJson(request.id, internal) };
    }
  };
}
