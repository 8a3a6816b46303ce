import type { Method } from '../dispatch/method.js';

/** `ping` (legacy era; MCP 2026-07-28 removed it): an empty result. */
export function pingMethod(): Method {
  return { eras: ['legacy'], handle: () => ({ value: {} }) };
}
