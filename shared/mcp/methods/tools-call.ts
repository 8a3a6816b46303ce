import type { AuditSink } from '../../audit/audit.js';
import type { Redactor } from '../../logging/redactor.js';
import type { RateLimiter } from '../../rate-limit/rate-limiter.js';
import type { SecretStore } from '../../secrets/secret-store.js';
import { callTool } from '../call-tool.js';
import type { Method } from '../dispatch/method.js';
import { JsonRpcError } from '../json-rpc.js';
import { metaOf } from '../protocol/request-meta.js';
import { createToolReporter, LEGACY_LOG_LEVEL, progressTokenOf } from '../streaming/tool-reporter.js';

export interface ToolsCallOptions {
  secrets: SecretStore;
  audit: AuditSink;
  redactor: Redactor;
  rateLimiter?: RateLimiter;
  defaultTimeoutMs: number;
  /** Kept back from the function's deadline so a timed-out tool can still be answered. */
  deadlineMarginMs: number;
  maxResultBytes?: number;
}

const invalid = (field: string, message: string) =>
  new JsonRpcError('InvalidParams', `Invalid params: ${message}`, { data: { field } });

/** `tools/call`, both eras: the request's shape is checked here, the call itself is `callTool`'s. */
export function toolsCallMethod(options: ToolsCallOptions): Method {
  return {
    eras: ['legacy', 'modern'],
    readsRegistry: true,
    async handle(params, context) {
      const { name, arguments: args } = params;
      if (typeof name !== 'string' || name === '') {
        throw invalid('name', '"name" (the tool to call) is required and must be a string.');
      }
      if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) {
        throw invalid('arguments', '"arguments" must be an object of the tool\'s arguments.');
      }
      const result = await callTool(
        { name, ...(args === undefined ? {} : { arguments: args as Record<string, unknown> }) },
        {
          snapshot: context.snapshot!,
          principal: context.principal,
          secrets: options.secrets,
          audit: options.audit,
          logger: context.logger,
          requestId: context.requestId,
          defaultTimeoutMs: options.defaultTimeoutMs,
          remainingMs: () => context.remainingMs() - options.deadlineMarginMs,
          redactor: options.redactor,
          rateLimiter: options.rateLimiter,
          maxResultBytes: options.maxResultBytes,
          ...(context.notify
            ? {
                // Progress for the request's token; logs at the level its _meta asks for (modern), or at the legacy
                // default, since a legacy client's logging/setLevel went to another request.
                reporter: createToolReporter({
                  progressToken: progressTokenOf(metaOf(params)),
                  logLevel: context.protocol.era === 'modern' ? context.protocol.meta.logLevel : LEGACY_LOG_LEVEL,
                  loggerName: name,
                  send: context.notify,
                  redactor: options.redactor,
                }),
              }
            : {}),
          ...(context.protocol.era === 'modern'
            ? { clientCapabilities: context.protocol.meta.clientCapabilities, headers: context.headers }
            : {}),
        },
      );
      return { value: result as Record<string, unknown> };
    },
  };
}
