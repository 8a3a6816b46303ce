import type { AuditSink } from '../../audit/audit.js';
import type { Redactor } from '../../logging/redactor.js';
import type { RateLimiter } from '../../rate-limit/rate-limiter.js';
import type { SecretStore } from '../../secrets/secret-store.js';
import { callTool } from '../call-tool.js';
import type { Method } from '../dispatch/method.js';
import { JsonRpcError } from '../json-rpc.js';
import type { ResultLinker } from '../result-links.js';

export interface ToolsCallOptions {
  secrets: SecretStore;
  audit: AuditSink;
  redactor: Redactor;
  rateLimiter?: RateLimiter;
  defaultTimeoutMs: number;
  /** Kept back from the function's deadline so a timed-out tool can still be answered. */
  deadlineMarginMs: number;
  maxResultBytes?: number;
  resultLinks?: ResultLinker;
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
          resultLinks: options.resultLinks,
          ...(context.protocol.era === 'modern'
            ? { clientCapabilities: context.protocol.meta.clientCapabilities, headers: context.headers }
            : {}),
        },
      );
      return { value: result as Record<string, unknown> };
    },
  };
}
