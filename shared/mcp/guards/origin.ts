import { rejection } from '../http-response.js';
import type { HttpRequest } from '../http-types.js';
import type { Guard } from './guard.js';

export interface OriginGuardOptions {
  /** Browser origins allowed besides the endpoint's own (`*` for any). @default none */
  allowedOrigins?: readonly string[];
  /** The endpoint's own origin for a request (a page served from it may call it); none when unknown. */
  ownOrigin?: (request: HttpRequest) => string | undefined;
}

/**
 * DNS-rebinding protection (MCP Streamable HTTP): a request with an `Origin` header that is neither the endpoint's own
 * origin nor an allowed one gets 403. Agents and servers send no `Origin` and are unaffected.
 */
export function originGuard(options: OriginGuardOptions = {}): Guard {
  const allowed = new Set(options.allowedOrigins ?? []);
  const anyOrigin = allowed.has('*');
  return (request) => {
    const origin = request.headers['origin'];
    if (origin === undefined || anyOrigin || allowed.has(origin) || origin === options.ownOrigin?.(request)) {
      return undefined;
    }
    return rejection(403, 'InvalidRequest', `Requests from the origin ${origin.slice(0, 200)} are not allowed.`);
  };
}
