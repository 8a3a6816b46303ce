import type { Principal } from '../../auth/principal.js';
import type { Logger } from '../../logging/logger.js';
import type { RegistrySnapshot } from '../../registry/snapshot.js';
import type { JsonRpcId } from '../json-rpc.js';
import type { Era, Protocol } from '../protocol/era.js';

/** A caching hint of MCP 2026-07-28 (`ttlMs`, `cacheScope`), carried by the modern results of cacheable methods. */
export interface CacheHint {
  ttlMs: number;
  /** `private` whenever the answer depends on who asks. */
  cacheScope: 'public' | 'private';
}

/** What every message of one HTTP request shares: the caller, the registry snapshot, the deadline. */
export interface RequestScope {
  principal: Principal;
  /** The registry snapshot, read once per HTTP request when a message needs it. */
  snapshot?: RegistrySnapshot;
  /** API Gateway's request id: correlates logs, audit records and the response. */
  requestId: string;
  logger: Logger;
  /** Milliseconds left before the function must have answered. */
  remainingMs(): number;
  /** The HTTP request's headers (names in lower case), for methods that check what a request mirrors into them. */
  headers: Readonly<Record<string, string | undefined>>;
  /**
   * Sends a notification (serialized JSON-RPC) on the request's response stream, which then becomes an event stream;
   * absent when the request cannot receive notifications (the client does not accept `text/event-stream`, a batch).
   */
  notify?: (notification: string) => void;
}

/** What a method handler gets besides its params. */
export interface MethodContext extends RequestScope {
  id: JsonRpcId;
  protocol: Protocol;
}

/**
 * A method's result, before the era frames it: a value, or JSON serialized ahead of time (the `tools/list` pages,
 * computed once per registry snapshot and scope set).
 */
export type MethodResult = { value: Record<string, unknown> } | { json: string };

/** One row of the method table. */
export interface Method {
  /** The eras that have this method; in any other it is an unknown method. */
  eras: readonly Era[];
  /** Whether the handler needs the registry snapshot (read alongside authentication, before dispatch). */
  readsRegistry?: boolean;
  /** The caching hint of its modern results, for the methods MCP 2026-07-28 makes cacheable. */
  cache?: CacheHint;
  handle(params: Record<string, unknown>, context: MethodContext): MethodResult | Promise<MethodResult>;
}

export type MethodTable = Readonly<Record<string, Method>>;

/**
 * A method whose handler module is loaded on its first request (the resource, prompt and completion methods): a cold
 * start that serves none of them never evaluates their code. A failed load is tried again on the next request.
 */
export function lazyMethod(row: Pick<Method, 'eras' | 'readsRegistry' | 'cache'>, load: () => Promise<Method>): Method {
  let loading: Promise<Method> | undefined;
  return {
    ...row,
    async handle(params, context) {
      loading ??= load().catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
      return (await loading).handle(params, context);
    },
  };
}
