import type { HttpRequest, HttpResponse } from '../http-types.js';

/**
 * A cheap check of an HTTP request, run before any I/O: `undefined` lets the request through, a response refuses it.
 * Guards run in order and the first refusal answers (`firstRefusal`).
 */
export type Guard = (request: HttpRequest) => HttpResponse | undefined;

export function firstRefusal(guards: readonly Guard[], request: HttpRequest): HttpResponse | undefined {
  for (const guard of guards) {
    const refused = guard(request);
    if (refused) return refused;
  }
  return undefined;
}
