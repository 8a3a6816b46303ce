import type { AuditSink } from '../../audit/audit.js';
import type { Redactor } from '../../logging/redactor.js';
import type { RateLimiter } from '../../rate-limit/rate-limiter.js';
import type { SecretStore } from '../../secrets/secret-store.js';
import type { UsedRequestStateStore } from '../../store/used-request-states.js';
import { callTool } from '../call-tool.js';
import type { Method, MethodContext } from '../dispatch/method.js';
import { type Idempotency, idempotencyKeyOf } from '../idempotency.js';
import { requestStateKeysFrom } from '../input/state-keys.js';
import { JsonRpcError } from '../json-rpc.js';
import { metaOf } from '../protocol/request-meta.js';
import type { ResultLinker } from '../result-links.js';
import { createToolReporter, LEGACY_LOG_LEVEL, progressTokenOf } from '../streaming/tool-reporter.js';

export interface ToolsCallOptions {
  secrets: SecretStore;
  audit: AuditSink;
  /** What a caller's notifications are scrubbed with: the secrets its tenant's calls resolved. */
  redactorFor(principal: MethodContext['principal']): Redactor;
  rateLimiter?: RateLimiter;
  idempotency?: Idempotency;
  defaultTimeoutMs: number;
  /** Kept back from the function's deadline so a timed-out tool can still be answered. */
  deadlineMarginMs: number;
  maxResultBytes?: number;
  /** Where used `requestState`s are remembered (each is used once). */
  usedRequestStates?: UsedRequestStateStore;
  /** How long a `requestState` may be used. @default 600000 */
  requestStateTtlMs?: number;
  resultLinks?: ResultLinker;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const invalid = (field: string, message: string) =>
  new JsonRpcError('InvalidParams', `Invalid params: ${message}`, { data: { field } });

/** `tools/call`, both eras: the request's shape is checked here, the call itself is `callTool`'s. */
export function toolsCallMethod(options: ToolsCallOptions): Method {
  const stateKeys = requestStateKeysFrom(options.secrets);
  const ttlSeconds = Math.max(1, Math.round((options.requestStateTtlMs ?? 600_000) / 1000));
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
      const modern = context.protocol.era === 'modern';
      const { inputResponses, requestState } = params;
      if (modern && inputResponses !== undefined && !isObject(inputResponses)) {
        throw invalid('inputResponses', '"inputResponses" must be an object of answers by input request key.');
      }
      if (modern && requestState !== undefined && typeof requestState !== 'string') {
        throw invalid('requestState', '"requestState" must be the string of the input_required result, unchanged.');
      }
      const idempotencyKey = idempotencyKeyOf(params, context.headers);
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
          rateLimiter: options.rateLimiter,
          ...(options.idempotency ? { idempotency: options.idempotency, idempotencyKey } : {}),
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
                  redactor: options.redactorFor(context.principal),
                }),
              }
            : {}),
          resultLinks: options.resultLinks,
          ...(context.protocol.era === 'modern'
            ? {
                clientCapabilities: context.protocol.meta.clientCapabilities,
                headers: context.headers,
                input: {
                  ...(inputResponses === undefined ? {} : { responses: inputResponses as Record<string, unknown> }),
                  ...(requestState === undefined ? {} : { state: requestState as string }),
                  keys: stateKeys,
                  usedStates: options.usedRequestStates,
                  ttlSeconds,
                },
              }
            : {}),
        },
      );
      return { value: result as Record<string, unknown> };
    },
  };
}
