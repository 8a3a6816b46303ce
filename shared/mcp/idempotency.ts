import { createHash } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../logging/logger.js';
import type { IdempotencyRecord, IdempotencyRecordStore } from '../store/idempotency-records.js';
import type { IdempotencySettings } from '../store/items.js';
import type { ToolAnnotations } from '../tools/define-tool.js';
import { JsonRpcError } from './json-rpc.js';

/**
 * Idempotent tool calls: a retried side effect happens once, whichever instance answers. A protected call claims its
 * key in DynamoDB (shared/store/idempotency-records.ts) before its tool runs; a duplicate waits for it and gets its
 * stored result, marked as a replay, without running the tool. See docs/permissions.md#idempotent-tool-calls.
 */

/** Where a client sends its idempotency key: in `params._meta`, or as an HTTP header. */
export const IDEMPOTENCY_KEY_META = 'io.mcp-cluster/idempotencyKey';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** `_meta` of a replayed (or refused) result: what the platform did with the key. */
export const IDEMPOTENCY_RESULT_META = 'io.mcp-cluster/idempotency';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Defaults of the cluster (`IDEMPOTENCY_TTL_SECONDS`, `IDEMPOTENCY_WINDOW_SECONDS`, `IDEMPOTENCY_MAX_RESULT_BYTES`). */
export interface IdempotencyDefaults {
  /** How long a completed call is replayed for a key the client sent. */
  ttlSeconds: number;
  /** How long a completed call is replayed for a repeat without a key (same caller, tool and arguments). */
  windowSeconds: number;
  /** Largest result stored for replays; a larger one is not stored (the call is then protected against concurrency only). */
  maxResultBytes: number;
}

export interface IdempotencyPolicy {
  ttlSeconds: number;
  windowSeconds: number;
}

/**
 * Whether calls of a tool are protected, and for how long: the manifest's `idempotency` wins over the code's, and
 * without either a tool is protected when it says it has side effects that are not idempotent (`idempotentHint:
 * false` and not `readOnlyHint: true`; HTTP tools get those hints from their method: POST and PATCH).
 */
export function idempotencyPolicyOf(
  tool: { annotations?: ToolAnnotations; idempotency?: IdempotencySettings },
  manifest: IdempotencySettings | undefined,
  defaults: Pick<IdempotencyDefaults, 'ttlSeconds' | 'windowSeconds'>,
): IdempotencyPolicy | undefined {
  const enabled =
    manifest?.enabled ??
    tool.idempotency?.enabled ??
    (tool.annotations?.idempotentHint === false && tool.annotations.readOnlyHint !== true);
  if (!enabled) return undefined;
  return {
    ttlSeconds: manifest?.ttl ?? tool.idempotency?.ttl ?? defaults.ttlSeconds,
    windowSeconds: manifest?.window ?? tool.idempotency?.window ?? defaults.windowSeconds,
  };
}

/**
 * The key a request sends, from `params._meta["io.mcp-cluster/idempotencyKey"]` or the `Idempotency-Key` header (both
 * eras); -32602 when it is malformed, or when the two disagree.
 */
export function idempotencyKeyOf(
  params: Record<string, unknown>,
  headers: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const meta = params._meta;
  const fromMeta =
    typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)[IDEMPOTENCY_KEY_META] : undefined;
  const fromHeader = headers[IDEMPOTENCY_KEY_HEADER]?.trim();
  for (const [value, field] of [
    [fromMeta, `_meta.${IDEMPOTENCY_KEY_META}`],
    [fromHeader, 'Idempotency-Key'],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || !KEY_PATTERN.test(value))) {
      throw new JsonRpcError(
        'InvalidParams',
        `Invalid params: the idempotency key (${field}) must be 1 to 255 printable ASCII characters without spaces, such as a UUID.`,
        { data: { field } },
      );
    }
  }
  if (fromMeta !== undefined && fromHeader !== undefined && fromMeta !== fromHeader) {
    throw new JsonRpcError(
      'InvalidParams',
      'Invalid params: the Idempotency-Key header and _meta idempotency key differ; send one key, or the same in both.',
      { data: { field: `_meta.${IDEMPOTENCY_KEY_META}` } },
    );
  }
  return (fromMeta as string | undefined) ?? fromHeader;
}

/** A refusal the caller maps to an `isError` result. */
export interface IdempotencyFailure {
  code:
    | 'IDEMPOTENCY_KEY_REUSED'
    | 'IDEMPOTENCY_IN_PROGRESS'
    | 'IDEMPOTENCY_UNAVAILABLE'
    | 'IDEMPOTENT_RESULT_NOT_STORED';
  message: string;
  retryable: boolean;
  retryAfterSeconds?: number;
}

/** How a protected call that ran ended: `done` and `maybe` keep the key (with the result), `none` releases it. */
export interface IdempotencySettlement {
  result: CallToolResult;
  outcome: string;
  errorCode?: string;
  /** `done`: the call took effect; `maybe`: it failed, but may have taken effect; `none`: it did not. */
  effect: 'done' | 'maybe' | 'none';
}

export type IdempotencyClaim =
  /** The call holds the key: run the tool, then settle. */
  | { kind: 'run'; key: string; settle(settlement: IdempotencySettlement): Promise<void> }
  /** A completed call holds the key: answer with its result, marked as a replay. */
  | { kind: 'replay'; key: string; result: CallToolResult; replayOf: string }
  /** The call may not run now: answer with the failure. */
  | { kind: 'refused'; key?: string; failure: IdempotencyFailure; replayOf?: string };

export interface IdempotencyCall {
  principal: Pick<Principal, 'tenant' | 'agentId'>;
  tool: string;
  policy: IdempotencyPolicy;
  /** The key the client sent, if any. */
  clientKey?: string;
  argumentsDigest: string;
  callId: string;
  requestId: string;
  /** The call's own deadline: how long it may hold the key, and how long a duplicate waits for it. */
  timeoutMs: number;
  logger: Logger;
}

export interface Idempotency {
  /** The tool's protection (its manifest's over its code's, over the cluster's defaults); `undefined`: unprotected. */
  policyFor(
    tool: { annotations?: ToolAnnotations; idempotency?: IdempotencySettings },
    manifest: IdempotencySettings | undefined,
  ): IdempotencyPolicy | undefined;
  /** Claims the call's key before its tool runs (see `IdempotencyClaim`). Never throws: a store failure refuses. */
  claim(call: IdempotencyCall): Promise<IdempotencyClaim>;
}

/** Time past a holder's deadline before its key counts as abandoned (its instance died mid-call). */
const LOCK_MARGIN_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createIdempotency(
  options: IdempotencyDefaults & { store: IdempotencyRecordStore; now?: () => number },
): Idempotency {
  const { store } = options;
  const now = options.now ?? Date.now;

  return {
    policyFor: (tool, manifest) => idempotencyPolicyOf(tool, manifest, options),
    async claim(call) {
      const { policy } = call;
      const ttlSeconds = call.clientKey === undefined ? policy.windowSeconds : policy.ttlSeconds;
      const key = createHash('sha256')
        .update(
          JSON.stringify([
            call.principal.tenant,
            call.principal.agentId,
            call.tool,
            call.clientKey === undefined ? `args:${call.argumentsDigest}` : `key:${call.clientKey}`,
          ]),
        )
        .digest('base64url');
      const started = now();
      const waitUntil = started + call.timeoutMs;
      try {
        let record: IdempotencyRecord | undefined;
        let delay = 20;
        for (;;) {
          const at = now();
          if (!record || (record.status === 'in_progress' && record.lockedUntil <= at)) {
            const lockedUntil = at + call.timeoutMs + LOCK_MARGIN_MS;
            const acquired = await store.acquire(
              {
                key,
                argumentsDigest: call.argumentsDigest,
                callId: call.callId,
                requestId: call.requestId,
                lockedUntil,
                expiresAt: Math.ceil(lockedUntil / 1000) + ttlSeconds,
              },
              at,
            );
            if (acquired)
              return { kind: 'run', key, settle: (settlement) => settle(call, key, ttlSeconds, settlement) };
          }
          record = await store.get(key, now());
          if (record && record.argumentsDigest !== call.argumentsDigest) {
            return { kind: 'refused', key, failure: keyReused(call.tool) };
          }
          if (record?.status === 'completed') return replayOf(key, record);
          if (now() >= waitUntil) return { kind: 'refused', key, failure: inProgress(record, now()) };
          if (record) {
            await sleep(Math.max(1, Math.min(delay, waitUntil - now())));
            delay = Math.min(delay * 2, 250);
          }
        }
      } catch (error) {
        call.logger.error('idempotency key could not be checked', { error: error as Error });
        return {
          kind: 'refused',
          key,
          failure: {
            code: 'IDEMPOTENCY_UNAVAILABLE',
            message:
              'This tool is protected against duplicate calls and the protection could not be checked, so the call was not made; retry shortly.',
            retryable: true,
            retryAfterSeconds: 1,
          },
        };
      }
    },
  };

  async function settle(call: IdempotencyCall, key: string, ttlSeconds: number, settlement: IdempotencySettlement) {
    try {
      if (settlement.effect === 'none') {
        await store.release(key, call.callId);
        return;
      }
      const text = JSON.stringify(settlement.result);
      const fits = Buffer.byteLength(text) <= options.maxResultBytes;
      const completed = await store.complete(key, call.callId, {
        ...(fits ? { result: text } : { resultOmitted: 'too large to store' }),
        outcome: settlement.outcome,
        ...(settlement.errorCode ? { errorCode: settlement.errorCode } : {}),
        completedAt: new Date(now()).toISOString(),
        expiresAt: Math.ceil(now() / 1000) + ttlSeconds,
      });
      if (!fits) call.logger.warn('result too large to store for replays', { bytes: Buffer.byteLength(text) });
      if (!completed) call.logger.warn('idempotency key was taken over before the call completed');
    } catch (error) {
      // The call's answer stands; its key stays in progress until its lock passes, then a retry may run again.
      call.logger.error('idempotency record could not be settled', { error: error as Error });
    }
  }
}

function replayOf(key: string, record: IdempotencyRecord): IdempotencyClaim {
  const mark = { replay: true, executedAt: record.completedAt, requestId: record.requestId };
  if (record.result === undefined) {
    return {
      kind: 'refused',
      key,
      replayOf: record.callId,
      failure: {
        code: 'IDEMPOTENT_RESULT_NOT_STORED',
        message: `This call already ran (at ${record.completedAt}, request id ${record.requestId}, outcome ${record.outcome}) and was not run again; its result was too large to keep, so it cannot be repeated here. Use a new idempotency key to make the call again.`,
        retryable: false,
      },
    };
  }
  const result = JSON.parse(record.result) as CallToolResult;
  return {
    kind: 'replay',
    key,
    replayOf: record.callId,
    result: { ...result, _meta: { ...(result._meta ?? {}), [IDEMPOTENCY_RESULT_META]: mark } },
  };
}

function keyReused(tool: string): IdempotencyFailure {
  return {
    code: 'IDEMPOTENCY_KEY_REUSED',
    message: `This idempotency key was already used for a call of ${tool} with other arguments, so this call was not made. Use a new key for a different call; reuse a key only to retry the very same call.`,
    retryable: false,
  };
}

function inProgress(record: IdempotencyRecord | undefined, at: number): IdempotencyFailure {
  const seconds = record ? Math.max(1, Math.ceil((record.lockedUntil - at) / 1000)) : 1;
  return {
    code: 'IDEMPOTENCY_IN_PROGRESS',
    message: `The same call (same idempotency key) is still running elsewhere, so it was not started again. Retry with the same key after ${seconds} s to get its result.`,
    retryable: true,
    retryAfterSeconds: seconds,
  };
}
