import type { LoggingLevel } from '@modelcontextprotocol/server';
import type { Method } from '../dispatch/method.js';
import { JsonRpcError } from '../json-rpc.js';
import { LOGGING_LEVELS } from '../protocol/request-meta.js';

/**
 * `logging/setLevel` (legacy era; MCP 2026-07-28 moved the level into each request's `_meta`). Accepted and checked,
 * but a stateless server keeps nothing between requests: the level is honoured for nothing beyond this request.
 */
export function loggingSetLevelMethod(): Method {
  return {
    eras: ['legacy'],
    handle(params) {
      if (!LOGGING_LEVELS.includes(params.level as LoggingLevel)) {
        throw new JsonRpcError(
          'InvalidParams',
          `Invalid params: "level" must be one of ${LOGGING_LEVELS.join(', ')}.`,
          {
            data: { field: 'level' },
          },
        );
      }
      return { value: {} };
    },
  };
}
