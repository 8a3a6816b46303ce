import { type AuditOutcome, type AuditSink, digestArguments, principalFields } from '../audit/audit.js';
import type { Principal } from '../auth/principal.js';
import { hasErrorCode, isToolError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { Redactor } from '../logging/redactor.js';
import { consumeLimits, limitChecks } from '../rate-limit/limit-checks.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import type { RegistrySnapshot, ServedPrompt, ServedResource } from '../registry/snapshot.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { ItemContext } from '../tools/define-resource.js';
import { DeadlineError, withDeadline } from './call-tool.js';
import { JsonRpcError } from './json-rpc.js';

/** What reading a resource, getting a prompt or completing an argument needs of the platform. */
export interface ItemServices {
  secrets: SecretStore;
  audit: AuditSink;
  rateLimiter?: RateLimiter;
  /** Deadline of one read, get or completion; capped by the function's remaining time. */
  defaultTimeoutMs: number;
  /** Kept back from the function's deadline so a read that timed out can still be answered. */
  deadlineMarginMs: number;
}

export interface ItemRequest {
  snapshot: RegistrySnapshot;
  principal: Principal;
  logger: Logger;
  requestId: string;
  remainingMs(): number;
}

/** The code a read or get throws (a ToolError) to say the resource it was asked for does not exist. */
export const RESOURCE_NOT_FOUND = 'RESOURCE_NOT_FOUND';

/** The answer to a URI nobody may read here: unknown, disabled, not permitted or not found, all alike. */
export function resourceNotFound(uri: string, modern: boolean): JsonRpcError {
  // MCP 2026-07-28 (SEP-2164): -32602 with the URI; 2025-11-25 and older: -32002, "Resource not found".
  return modern
    ? new JsonRpcError('InvalidParams', `Resource not found: ${uri}. Call resources/list to see what you may read.`, {
        data: { uri },
      })
    : new JsonRpcError(
        'ResourceNotFound',
        `Resource not found: ${uri}. Call resources/list to see what you may read.`,
        {
          data: { uri },
        },
      );
}

/**
 * Serves one resource read or prompt get: rate limits → the module → the item's secrets → the work under a deadline
 * → one audit record (`tool` is `resource:<name>` or `prompt:<name>`, so the trail answers "who read what") → the
 * answer scrubbed of secrets. A failure the item reports (a ToolError) becomes a JSON-RPC error with its message and
 * code: `INVALID_*` codes are bad params (-32602), `RESOURCE_NOT_FOUND` the unknown-resource answer, anything else
 * -32603 saying whether a retry can help. Nothing else of a failure reaches the caller.
 */
export async function serveItem<T>(
  kind: 'resource' | 'prompt',
  item: ServedResource | ServedPrompt,
  request: ItemRequest,
  services: ItemServices,
  call: { argumentsForAudit: unknown; notFound?: () => JsonRpcError },
  work: (ctx: ItemContext) => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const { principal } = request;
  const label = `${kind}:${item.name}`;
  const logger = request.logger.child({ [kind]: item.name });
  const time = new Date().toISOString();
  let argumentsDigest = 'unavailable';
  try {
    argumentsDigest = digestArguments(call.argumentsForAudit);
  } catch {
    // A digest never fails the record.
  }
  const audit = (outcome: AuditOutcome, code?: string) =>
    services.audit
      .record({
        time,
        requestId: request.requestId,
        ...principalFields(principal),
        tool: label,
        toolVersion: item.version,
        outcome,
        ...(code ? { errorCode: code } : {}),
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
        argumentsDigest,
      })
      .catch((error: unknown) => logger.error('audit record could not be written', { error: error as Error }));

  const limited = await checkLimits(label, item, request, services.rateLimiter, logger);
  if (limited) {
    await audit('rate_limited', limited.data.code);
    throw limited;
  }
  const timeoutMs = itemTimeoutMs(request, services);
  try {
    const { value, scrubber } = await runItem(item, request, services, logger, timeoutMs, work);
    await audit('success');
    return scrubber.size === 0 ? value : (JSON.parse(scrubber.redact(JSON.stringify(value))) as T);
  } catch (error) {
    const failure = classify(error, timeoutMs, request.requestId, call.notFound);
    if (failure.data.code === 'FAILED') logger.error(`${kind} failed`, { error: error as Error });
    await audit(failure.data.code === 'TIMEOUT' ? 'timeout' : 'tool_error', failure.data.code);
    throw failure;
  }
}

type ItemError = JsonRpcError & { data: { code: string } };

function classify(error: unknown, timeoutMs: number, requestId: string, notFound?: () => JsonRpcError): ItemError {
  const failed = (message: string, code: string, retryable: boolean, extra: Record<string, unknown> = {}) =>
    new JsonRpcError('InternalError', message, { data: { code, retryable, ...extra } }) as ItemError;
  if (error instanceof DeadlineError || (error as Error | undefined)?.name === 'TimeoutError') {
    return failed(`It did not finish within ${timeoutMs} ms; retry shortly.`, 'TIMEOUT', true);
  }
  if (isToolError(error)) {
    if (error.code === RESOURCE_NOT_FOUND && notFound) {
      const answer = notFound();
      return Object.assign(answer, { data: { ...(answer.data as object), code: RESOURCE_NOT_FOUND } }) as ItemError;
    }
    if (error.code.startsWith('INVALID_')) {
      return new JsonRpcError('InvalidParams', error.message, { data: { code: error.code } }) as ItemError;
    }
    return failed(error.message, error.code, error.retryable, {
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
    });
  }
  if (hasErrorCode(error, 'SECRET_UNAVAILABLE')) return failed(error.message, error.code, true);
  return failed(`It failed unexpectedly; the error was logged with request id ${requestId}.`, 'FAILED', false);
}

/** The item's own per-agent limit, the key's overall one, then its tenant's. Fails closed when they cannot be counted. */
async function checkLimits(
  label: string,
  item: ServedResource | ServedPrompt,
  request: ItemRequest,
  limiter: RateLimiter | undefined,
  logger: Logger,
): Promise<ItemError | undefined> {
  const { principal } = request;
  const outcome = await consumeLimits(
    limitChecks(
      principal,
      { label, rateLimit: item.rateLimit },
      request.snapshot.tenantPolicy(principal.tenant)?.rateLimit,
    ),
    limiter,
  );
  if (outcome.kind === 'refused') {
    const { limit, windowSeconds } = outcome.check.limit;
    return new JsonRpcError(
      'InternalError',
      `Rate limit reached: ${limit} per ${windowSeconds} s ${outcome.check.what}. Retry after ${outcome.retryAfterSeconds} s.`,
      { data: { code: 'RATE_LIMITED', retryable: true, retryAfterSeconds: outcome.retryAfterSeconds } },
    ) as ItemError;
  }
  if (outcome.kind === 'unavailable') {
    logger.error('rate limit could not be checked', { error: outcome.error as Error });
    return new JsonRpcError('InternalError', 'The rate limit could not be checked; retry shortly.', {
      data: { code: 'RATE_LIMIT_UNAVAILABLE', retryable: true, retryAfterSeconds: 1 },
    }) as ItemError;
  }
  return undefined;
}

/**
 * The audit record of a read or get that named nothing the caller may use (unknown, disabled or not permitted: the
 * caller is told the same for all three, the trail says which).
 */
export async function auditRefusal(
  kind: 'resource' | 'prompt',
  name: string,
  exists: boolean,
  request: ItemRequest,
  services: Pick<ItemServices, 'audit'>,
  argumentsForAudit: unknown,
): Promise<void> {
  let argumentsDigest = 'unavailable';
  try {
    argumentsDigest = digestArguments(argumentsForAudit);
  } catch {
    // A digest never fails the record.
  }
  await services.audit
    .record({
      time: new Date().toISOString(),
      requestId: request.requestId,
      ...principalFields(request.principal),
      // Caller-chosen text: bounded like a tool name.
      tool: `${kind}:${name.length > 128 ? `${name.slice(0, 128)}…` : name}`,
      outcome: exists ? 'denied' : 'unknown_tool',
      errorCode: kind === 'resource' ? RESOURCE_NOT_FOUND : 'UNKNOWN_PROMPT',
      latencyMs: 0,
      argumentsDigest,
    })
    .catch((error: unknown) => request.logger.error('audit record could not be written', { error: error as Error }));
}

/**
 * Completes an argument of a prompt or a variable of a template: the module, the item's secrets, a deadline, the
 * values scrubbed. A completion is a convenience, so a failing one answers no values (and is logged) rather than an
 * error; completions are not audited (a client may ask on every keystroke).
 */
export async function completeItem(
  item: ServedResource | ServedPrompt,
  request: ItemRequest,
  services: ItemServices,
  work: (ctx: ItemContext) => Promise<readonly string[]>,
): Promise<readonly string[]> {
  try {
    const { value: values, scrubber } = await runItem(
      item,
      request,
      services,
      request.logger,
      itemTimeoutMs(request, services),
      work,
    );
    return values.map((value) => scrubber.redact(String(value)));
  } catch (error) {
    request.logger.warn('completion failed; answering no values', { item: item.name, error: error as Error });
    return [];
  }
}

const itemTimeoutMs = (request: ItemRequest, services: ItemServices) =>
  Math.min(services.defaultTimeoutMs, request.remainingMs() - services.deadlineMarginMs);

/**
 * The item's module, its own secrets, then the work under a deadline, with the context items get. Answers the value
 * and what scrubs it: the secrets this call resolved, and no one else's.
 */
async function runItem<T>(
  item: ServedResource | ServedPrompt,
  request: ItemRequest,
  services: ItemServices,
  logger: Logger,
  timeoutMs: number,
  work: (ctx: ItemContext) => Promise<T>,
): Promise<{ value: T; scrubber: Redactor }> {
  await item.definition.ready?.();
  const secrets = await services.secrets.resolve(item.secrets, {
    tenant: request.principal.tenant,
    fallback: item.secretFallback,
  });
  const scrubber = Redactor.of(Object.values(secrets));
  const value = await withDeadline(timeoutMs, undefined, (signal) =>
    work({
      secrets,
      principal: request.principal,
      logger,
      signal,
      requestId: request.requestId,
      catalog: () => request.snapshot.catalogFor(request.principal),
    }),
  );
  return { value, scrubber };
}
