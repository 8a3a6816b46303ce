import { randomBytes } from 'node:crypto';
import type { CallToolResult, ClientCapabilities } from '@modelcontextprotocol/server';
import {
  type AuditOutcome,
  type AuditRecord,
  type AuditSink,
  type CallOutcome,
  digestArguments,
  principalFields,
} from '../audit/audit.js';
import type { Principal } from '../auth/principal.js';
import { hasErrorCode, isToolError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { Redactor } from '../logging/redactor.js';
import { consumeLimits, limitChecks } from '../rate-limit/limit-checks.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import type { RegistrySnapshot, ServedTool } from '../registry/snapshot.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { RateLimit } from '../store/items.js';
import { tenantToolKey } from '../store/tool-manifests.js';
import type { UsedRequestStateStore } from '../store/used-request-states.js';
import type { ArgumentIssue } from '../tools/define-tool.js';
import { paramHeadersFor } from '../tools/param-headers.js';
import type { Idempotency, IdempotencyClaim } from './idempotency.js';
import { createInputRound, InputRequiredSignal } from './input/input-round.js';
import {
  callerDigest,
  newStateId,
  openRequestState,
  RequestStateError,
  type RequestStateKeys,
  sealRequestState,
} from './input/request-state.js';
import { excerpt, JsonRpcError } from './json-rpc.js';
import { checkParamHeaders } from './protocol/param-headers.js';
import { missingCapabilities } from './protocol/request-meta.js';
import { fitResult } from './response-size.js';
import type { ResultLinker } from './result-links.js';
import { SILENT_REPORTER, type ToolReporter } from './streaming/tool-reporter.js';

export interface CallToolDeps {
  snapshot: RegistrySnapshot;
  principal: Principal;
  secrets: SecretStore;
  audit: AuditSink;
  logger: Logger;
  requestId: string;
  defaultTimeoutMs: number;
  /** Milliseconds left before the function itself must have answered. */
  remainingMs(): number;
  /** Aborted when the client cancels the request. */
  signal?: AbortSignal;
  /** Counts calls of tools (or agents) that have a rate limit; without it such calls are refused. */
  rateLimiter?: RateLimiter;
  /**
   * The capabilities the client declared for this request (modern era); a tool that needs one it did not declare is
   * refused with -32021. Legacy requests carry none (they were declared once, to `initialize`), so nothing is checked.
   */
  clientCapabilities?: ClientCapabilities;
  /**
   * The request's headers (modern era): the `Mcp-Param-*` headers a tool's `x-mcp-header` parameters are mirrored
   * into must agree with the arguments. Legacy clients mirror nothing, so nothing is checked without them.
   */
  headers?: Readonly<Record<string, string | undefined>>;
  /** Largest result, once encoded in the function's response; larger ones are cut or refused. @default 5 MB */
  maxResultBytes?: number;
  /** Stores results over its threshold and answers them with a resource link; without it they are fitted as they are. */
  resultLinks?: ResultLinker;
  /** Protection against duplicate calls (idempotency.ts); without it every call runs. */
  idempotency?: Idempotency;
  /** The idempotency key the request sent (`_meta` or the `Idempotency-Key` header), if any. */
  idempotencyKey?: string;
  /** Where the tool's progress and log messages go (the request's response stream); nowhere by default. */
  reporter?: ToolReporter;
  /** Multi-round input (modern era): without it a tool can ask the client nothing. */
  input?: CallInput;
}

/** What a 2026-07-28 `tools/call` brings for a tool that asks the client for input, and what seals its state. */
export interface CallInput {
  /** The retry's `inputResponses`, by request key. */
  responses?: Record<string, unknown>;
  /** The retry's `requestState`, as this server issued it. */
  state?: string;
  /** The keys that seal and open states (from Secrets Manager). */
  keys(): Promise<RequestStateKeys>;
  /** Where used states are remembered, so that each is used once; without it a state may be used until it expires. */
  usedStates?: UsedRequestStateStore;
  /** How long a state may be used, in seconds. */
  ttlSeconds: number;
}

/**
 * Call ids: random per instance (drawn once), then counted, so they are unique across instances without a draw of
 * randomness on every call.
 */
const CALL_ID_PREFIX = randomBytes(6).toString('base64url');
let callSequence = 0;
const nextCallId = () => `${CALL_ID_PREFIX}${(++callSequence).toString(36)}`;

/** Under Lambda's 6 MB response limit, with room for the rest of the answer. */
export const DEFAULT_MAX_RESULT_BYTES = 5_000_000;

export interface CallToolParams {
  name: string;
  arguments?: Record<string, unknown>;
}

/** Metadata key under which every error result carries its machine-readable code. */
export const ERROR_META_KEY = 'mcp-cluster/error';

interface ToolFailure {
  code: string;
  message: string;
  retryable: boolean;
  retryAfterSeconds?: number;
  /** For INVALID_ARGUMENTS: each field and what is wrong with it. */
  issues?: readonly ArgumentIssue[];
}

/** A retry whose requestState could not be checked (the keys or the used-state store unreachable): nothing ran. */
const STATE_UNCHECKED: ToolFailure = {
  code: 'REQUEST_STATE_UNAVAILABLE',
  message: 'The requestState could not be checked just now; retry shortly with the same requestState.',
  retryable: true,
  retryAfterSeconds: 1,
};

/** Longest tool name that can exist (MCP's rule, and ours); a longer one is unknown, and audited cut to this. */
const MAX_TOOL_NAME_LENGTH = 128;

/** An `isError` result the model can act on. `structuredContent` carries the code unless the tool's own output schema owns it. */
function errorResult(tool: ServedTool | undefined, failure: ToolFailure): CallToolResult {
  const error = {
    code: failure.code,
    message: failure.message,
    retryable: failure.retryable,
    ...(failure.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: failure.retryAfterSeconds }),
    ...(failure.issues ? { issues: failure.issues } : {}),
  };
  return {
    isError: true,
    content: [{ type: 'text', text: `${failure.message} (${failure.code}${failure.retryable ? ', retryable' : ''})` }],
    ...(tool?.definition.outputJsonSchema ? {} : { structuredContent: { error } }),
    _meta: { [ERROR_META_KEY]: error },
  };
}

function describeIssues(issues: readonly ArgumentIssue[]): string {
  return issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
}

export class DeadlineError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`deadline of ${timeoutMs} ms passed`);
    this.name = 'TimeoutError';
  }
}

/** Runs `run` under a deadline: the signal is aborted when it passes, and the call stops waiting for the tool. */
export async function withDeadline<T>(
  timeoutMs: number,
  parent: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        // Built only when the deadline passes: an Error's stack trace costs more than a fast tool call.
        const deadline = new DeadlineError(timeoutMs);
        controller.abort(deadline);
        reject(deadline);
      },
      Math.max(0, timeoutMs),
    );
  });
  const onParentAbort = () => controller.abort(parent?.reason);
  parent?.addEventListener('abort', onParentAbort, { once: true });
  try {
    return await Promise.race([run(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
  }
}

/**
 * `tools/call`: authorize → client capabilities → rate limit → validate → resolve secrets → run under a deadline →
 * map the outcome → audit. An unknown tool and a missing client capability are protocol errors (JsonRpcError);
 * everything from argument validation on is a result, so the model can correct itself (MCP 2025-11-25 and later).
 */
export async function callTool(params: CallToolParams, deps: CallToolDeps): Promise<CallToolResult> {
  const started = performance.now();
  const { principal, snapshot } = deps;
  const args = params.arguments ?? {};
  const name =
    params.name.length > MAX_TOOL_NAME_LENGTH ? `${params.name.slice(0, MAX_TOOL_NAME_LENGTH)}…` : params.name;
  const tool = name === params.name ? snapshot.callable(params.name, principal) : undefined;
  const logger = deps.logger.child({ tool: name });

  // The digest is taken once, before anything runs, and can never fail the audit after a side effect.
  let argumentsDigest: string;
  try {
    argumentsDigest = digestArguments(args);
  } catch (error) {
    logger.warn('the arguments could not be digested for the audit record', { error: error as Error });
    argumentsDigest = 'unavailable';
  }
  // The call's key in the audit trail: when it began, and an id of its own. A start marker and the end share it.
  const time = new Date().toISOString();
  const callId = nextCallId();
  let claim: IdempotencyClaim | undefined;
  const audit = (outcome: AuditOutcome, code?: string, extra: Partial<AuditRecord> = {}) =>
    deps.audit
      .record({
        time,
        callId,
        requestId: deps.requestId,
        ...principalFields(principal),
        tool: name,
        ...(tool ? { toolVersion: tool.version } : {}),
        outcome,
        ...(code ? { errorCode: code } : {}),
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
        argumentsDigest,
        ...(claim?.key ? { idempotencyKey: claim.key } : {}),
        ...extra,
        ...(tool?.definition.auditArguments ? { arguments: args } : {}),
      })
      .catch((error: unknown) => logger.error('audit record could not be written', { error: error as Error }));

  if (!tool) {
    // Disabled, missing and not-permitted tools get the same answer, so callers cannot map what they may not see.
    await audit(snapshot.has(params.name, principal.tenant) ? 'denied' : 'unknown_tool', 'UNKNOWN_TOOL');
    throw new JsonRpcError(
      'InvalidParams',
      `Unknown tool: ${excerpt(params.name)}. Call tools/list to see the tools available to you.`,
    );
  }

  // What idempotency records and request states are bound to: a tenant's own tool is not the shared one it shadows.
  const toolKey = tool.owner === undefined ? tool.name : tenantToolKey(tool.owner, tool.name);

  const required = tool.definition.clientCapabilities;
  const missing = required && deps.clientCapabilities && missingCapabilities(deps.clientCapabilities, required);
  if (missing) {
    await audit('missing_capability', 'MISSING_CLIENT_CAPABILITY');
    throw new JsonRpcError(
      'MissingRequiredClientCapability',
      `Tool "${tool.name}" needs the client capabilities ${Object.keys(missing).join(', ')}, which this request's _meta does not declare.`,
      { data: { requiredCapabilities: missing } },
    );
  }

  if (deps.headers) {
    try {
      checkParamHeaders(paramHeadersFor(tool.definition.inputJsonSchema), deps.headers, args);
    } catch (error) {
      await audit('invalid_arguments', 'HEADER_MISMATCH');
      throw error;
    }
  }

  const limited = await checkRateLimits(
    tool,
    principal,
    snapshot.tenantPolicy(principal.tenant)?.rateLimit,
    deps.rateLimiter,
    logger,
  );
  if (limited) {
    await audit('rate_limited', limited.code);
    return errorResult(tool, limited);
  }

  if (tool.definition.ready) {
    try {
      await tool.definition.ready();
    } catch (error) {
      logger.error('tool could not be loaded', { error: error as Error });
      await audit('tool_error', 'TOOL_FAILED');
      return errorResult(tool, classifyFailure(error, 0, deps.requestId));
    }
  }

  const parsed = tool.definition.validate(args);
  if (!parsed.success) {
    await audit('invalid_arguments', 'INVALID_ARGUMENTS');
    return errorResult(tool, {
      code: 'INVALID_ARGUMENTS',
      message: `Invalid arguments for tool "${tool.name}": ${describeIssues(parsed.issues)}`,
      retryable: false,
      issues: parsed.issues,
    });
  }

  // A retry of a call that asked for input: the answers of earlier rounds come from its sealed state, this round's
  // from inputResponses (only for the requests the state names). A first call's inputResponses count too, except for
  // a destructive tool, whose answers must answer requests this server issued.
  let given: Record<string, unknown> = {};
  let inputRound = 1;
  /** The retry's state, once opened: marked used only when this call is the one that runs (see below). */
  let openedState: { id: string; exp: number } | undefined;
  if (deps.input?.state !== undefined) {
    try {
      const keys = await deps.input.keys();
      const state = openRequestState(deps.input.state, keys, {
        tool: toolKey,
        caller: callerDigest(principal),
        argumentsDigest,
      });
      openedState = { id: state.id, exp: state.exp };
      const responses = deps.input.responses ?? {};
      given = { ...state.answers };
      for (const key of state.asked) if (Object.hasOwn(responses, key)) given[key] = responses[key];
      inputRound = state.round + 1;
    } catch (error) {
      if (error instanceof RequestStateError) {
        await audit('invalid_arguments', `REQUEST_STATE_${error.problem.toUpperCase()}`);
        throw new JsonRpcError('InvalidParams', `Invalid requestState: ${error.message}`, {
          data: { field: 'requestState', reason: error.problem },
        });
      }
      logger.error('request state could not be checked', { error: error as Error });
      await audit('tool_error', 'REQUEST_STATE_UNAVAILABLE');
      return errorResult(tool, STATE_UNCHECKED);
    }
  } else if (deps.input?.responses && tool.definition.annotations?.destructiveHint !== true) {
    given = deps.input.responses;
  }
  const round = createInputRound(tool.name, deps.input ? deps.clientCapabilities : undefined, given);
  const roundAudit = inputRound > 1 ? { inputRound } : {};

  const timeoutMs = Math.min(tool.definition.timeoutMs ?? deps.defaultTimeoutMs, deps.remainingMs());

  // Protection against duplicate calls (idempotency.ts): a protected call claims its key before its tool runs; a
  // completed call of the same key answers with its stored result, marked as a replay, and the tool does not run.
  const policy = deps.idempotency?.policyFor(tool.definition, tool.idempotency);
  if (policy) {
    claim = await deps.idempotency!.claim({
      principal,
      tool: toolKey,
      policy,
      ...(deps.idempotencyKey === undefined ? {} : { clientKey: deps.idempotencyKey }),
      argumentsDigest,
      callId,
      requestId: deps.requestId,
      timeoutMs,
      logger,
    });
    if (claim.kind === 'replay') {
      await audit('replayed', undefined, { replayOf: claim.replayOf });
      return claim.result;
    }
    if (claim.kind === 'refused') {
      await audit('idempotency_refused', claim.failure.code, claim.replayOf ? { replayOf: claim.replayOf } : {});
      return errorResult(tool, claim.failure);
    }
  }

  // A state is spent by the call that runs with it: not by a duplicate that waited for, or was refused by, another.
  if (openedState && deps.input?.usedStates) {
    let fresh: boolean;
    try {
      fresh = await deps.input.usedStates.use(openedState.id, openedState.exp);
    } catch (error) {
      logger.error('request state could not be checked', { error: error as Error });
      await releaseClaim();
      await audit('tool_error', 'REQUEST_STATE_UNAVAILABLE');
      return errorResult(tool, STATE_UNCHECKED);
    }
    if (!fresh) {
      await releaseClaim();
      await audit('invalid_arguments', 'REQUEST_STATE_REPLAYED');
      throw new JsonRpcError(
        'InvalidParams',
        'Invalid requestState: The requestState was used already; retry with the requestState of the latest input_required result.',
        { data: { field: 'requestState', reason: 'replayed' } },
      );
    }
  }

  let result: CallToolResult;
  /** Scrubs the answer: of the secrets this call resolved, and no one else's. */
  let scrubber: Redactor | undefined;
  let mayHaveTakenEffect = false;
  let outcome: CallOutcome = 'success';
  let code: string | undefined;
  try {
    const secrets = await deps.secrets.resolve(tool.secrets, {
      tenant: principal.tenant,
      // A tenant's own tool reads its tenant's secrets only.
      fallback: tool.secretFallback && tool.owner === undefined,
    });
    scrubber = Redactor.of(Object.values(secrets));
    // Every call leaves a start marker before its tool runs: if the instance dies or is cut off mid-call, the trail
    // still shows the call (outcome `started`); its end replaces the marker, so a call keeps one record.
    await audit('started');
    const deadline = Date.now() + timeoutMs;
    const reporter = deps.reporter ?? SILENT_REPORTER;
    const value = await withDeadline(timeoutMs, deps.signal, (signal) =>
      tool.definition.run(parsed.data, {
        secrets,
        principal,
        logger,
        signal,
        requestId: deps.requestId,
        deadline,
        progress: (done, total, message) => reporter.progress(done, total, message),
        log: (level, message, data) => reporter.log(level, message, data),
        ...round.context,
      }),
    );
    result = tool.definition.toResult(value);
  } catch (error) {
    if (error instanceof InputRequiredSignal || Object.keys(round.pending).length > 0) {
      return inputRequired();
    }
    const failure = classifyFailure(error, timeoutMs, deps.requestId);
    if (failure.code === 'TOOL_FAILED') logger.error('tool failed', { error: error as Error });
    else logger.info('tool reported an error', { errorCode: failure.code });
    outcome = failure.code === 'TIMEOUT' ? 'timeout' : 'tool_error';
    code = failure.code;
    mayHaveTakenEffect = isToolError(error) && error.mayHaveTakenEffect === true;
    result = errorResult(tool, failure);
  }
  // A tool that caught the request for input and returned anyway still needs the input it asked for.
  if (Object.keys(round.pending).length > 0) return inputRequired();
  const scrubbed = scrubber ? scrub(result, scrubber) : result;
  // A large result is stored, scrubbed, and answered with a summary and a link the caller reads back (result-links.ts).
  const linked = await deps.resultLinks?.offload(scrubbed, {
    tool: tool.name,
    principal,
    structured: tool.definition.outputJsonSchema !== undefined,
    logger,
  });
  const fitted = fitResult(linked?.result ?? scrubbed, deps.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES, {
    structured: tool.definition.outputJsonSchema !== undefined && !scrubbed.isError,
  });
  if (!fitted) {
    const tooLarge = errorResult(tool, {
      code: 'RESULT_TOO_LARGE',
      message: `The tool's result is too large for a response (over ${(deps.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES) / 1_000_000} MB encoded); ask for less.`,
      retryable: false,
    });
    // The tool ran (and had its effect): a retry of the same key gets this answer, it does not run the tool again.
    if (claim?.kind === 'run') {
      await claim.settle({ result: tooLarge, outcome: 'tool_error', errorCode: 'RESULT_TOO_LARGE', effect: 'done' });
    }
    await audit('tool_error', 'RESULT_TOO_LARGE');
    return tooLarge;
  }
  if (fitted.cutFrom !== undefined) logger.warn('result cut to fit a response', { bytes: fitted.cutFrom });
  // A protected call keeps its key with the (scrubbed) result once it took effect, and releases it when it did not.
  if (claim?.kind === 'run') {
    await claim.settle({
      result: fitted.result,
      outcome,
      ...(code ? { errorCode: code } : {}),
      effect: outcome === 'success' ? 'done' : mayHaveTakenEffect ? 'maybe' : 'none',
    });
  }
  await audit(outcome, code, {
    ...roundAudit,
    ...(fitted.cutFrom === undefined ? {} : { resultCutFromBytes: fitted.cutFrom }),
    ...(linked ? { resultLinked: linked.linked } : {}),
  });
  return fitted.result;

  /** Releases a won idempotency key: nothing took effect, so the next call of the key runs. */
  async function releaseClaim(errorCode = 'NOT_RUN'): Promise<void> {
    if (claim?.kind === 'run') {
      await claim.settle({ result: { content: [] }, outcome: 'tool_error', errorCode, effect: 'none' });
    }
  }

  /** Ends the round with `input_required`: the open requests, and a sealed state to resume from. */
  async function inputRequired(): Promise<CallToolResult> {
    const asked = Object.keys(round.pending);
    // Nothing took effect yet: the key is released, so the retry that brings the answers can claim it.
    await releaseClaim('INPUT_REQUIRED');
    let requestState: string;
    try {
      requestState = sealRequestState(
        {
          v: 1,
          id: newStateId(),
          tool: toolKey,
          caller: callerDigest(principal),
          argumentsDigest,
          round: inputRound,
          answers: { ...round.used },
          asked,
          exp: Math.floor(Date.now() / 1000) + deps.input!.ttlSeconds,
        },
        await deps.input!.keys(),
      );
    } catch (error) {
      logger.error('request state could not be sealed', { error: error as Error });
      await audit('tool_error', 'REQUEST_STATE_UNAVAILABLE', roundAudit);
      return errorResult(tool, {
        code: 'REQUEST_STATE_UNAVAILABLE',
        message: 'The tool needs input from you, but its request could not be prepared just now; retry shortly.',
        retryable: true,
        retryAfterSeconds: 1,
      });
    }
    await audit('input_required', undefined, { inputRound, inputRequests: asked });
    return { resultType: 'input_required', inputRequests: round.pending, requestState } as unknown as CallToolResult;
  }
}

/** The tool's per-agent limit, the agent's overall one, then its tenant's. Fails closed when they cannot be counted. */
async function checkRateLimits(
  tool: ServedTool,
  principal: Principal,
  tenantLimit: RateLimit | undefined,
  limiter: RateLimiter | undefined,
  logger: Logger,
): Promise<ToolFailure | undefined> {
  const outcome = await consumeLimits(
    limitChecks(principal, { label: tool.name, rateLimit: tool.rateLimit }, tenantLimit),
    limiter,
  );
  if (outcome.kind === 'unavailable') {
    logger.error('rate limit could not be checked', { error: outcome.error as Error });
    return {
      code: 'RATE_LIMIT_UNAVAILABLE',
      message: 'The rate limit of this tool could not be checked, so the call was not made; retry shortly.',
      retryable: true,
      retryAfterSeconds: 1,
    };
  }
  if (outcome.kind === 'refused') {
    const { limit, windowSeconds } = outcome.check.limit;
    return {
      code: 'RATE_LIMITED',
      message: `Rate limit reached: ${limit} calls per ${windowSeconds} s ${outcome.check.what}. Retry after ${outcome.retryAfterSeconds} s.`,
      retryable: true,
      retryAfterSeconds: outcome.retryAfterSeconds,
    };
  }
  return undefined;
}

function classifyFailure(error: unknown, timeoutMs: number, requestId: string): ToolFailure {
  const name = (error as Error | undefined)?.name;
  // The deadline's own error, or a fetch/AbortSignal.timeout inside the tool that gave up the same way.
  if (error instanceof DeadlineError || name === 'TimeoutError') {
    return { code: 'TIMEOUT', message: `The tool did not finish within ${timeoutMs} ms.`, retryable: true };
  }
  if (isToolError(error)) {
    return {
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
    };
  }
  if (hasErrorCode(error, 'SECRET_UNAVAILABLE')) return { code: error.code, message: error.message, retryable: true };
  if (name === 'AbortError') return { code: 'CANCELLED', message: 'The call was cancelled.', retryable: true };
  return {
    code: 'TOOL_FAILED',
    message: `The tool failed unexpectedly; the error was logged with request id ${requestId}.`,
    retryable: false,
  };
}

/** Last line of defence: no secret value the call resolved leaves in its result. */
function scrub(result: CallToolResult, redactor: Redactor): CallToolResult {
  if (redactor.size === 0) return result;
  const text = JSON.stringify(result);
  const clean = redactor.redact(text);
  return clean === text ? result : (JSON.parse(clean) as CallToolResult);
}
