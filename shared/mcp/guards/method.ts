import { rejection } from '../http-response.js';
import type { Guard } from './guard.js';

/**
 * The endpoint is stateless: every message is a POST. GET (a standalone event stream) and DELETE (ending a session)
 * of earlier protocol versions get 405 with `Allow: POST`, as MCP asks of a server without sessions.
 */
export function methodGuard(): Guard {
  return (request) =>
    request.method === 'POST'
      ? undefined
      : rejection(
          405,
          'InvalidRequest',
          `Method ${request.method.slice(0, 20)} is not allowed: this endpoint is stateless and accepts POST only.`,
          { allow: 'POST' },
        );
}
