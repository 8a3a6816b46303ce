import { createHash } from 'node:crypto';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../logging/logger.js';

/** How a `tools/call` ended, from the platform's point of view. */
export type CallOutcome =
  | 'success' // the tool ran and returned a result
  | 'tool_error' // the tool ran and reported a failure (isError result)
  | 'timeout' // the tool's deadline passed
  | 'invalid_arguments' // arguments failed the tool's schema
  | 'missing_capability' // the tool needs a client capability the request did not declare (MCP 2026-07-28)
  | 'input_required' // the tool asked the client for input: the call ended with input_required, to be retried
  | 'rate_limited' // over the tool's or the agent's rate limit
  | 'replayed' // the tool did not run: a completed call with the same idempotency key answered (`replayOf`)
  | 'idempotency_refused' // the tool did not run: its key is in progress elsewhere, or was used with other arguments
  | 'denied' // the tool exists but the caller may not call it (answered as unknown)
  | 'unknown_tool'; // no such tool, or disabled

/**
 * What a stored record says: how the call ended, or `started` for a call whose tool began to run and whose end was
 * never recorded (the instance died or was cut off mid-call). The end, once recorded, replaces the start.
 */
export type AuditOutcome = CallOutcome | 'started';

/**
 * One record per `tools/call`. Arguments appear only as a digest; secrets never appear. `time` is when the call began
 * and `callId` names the call: together with the request id they are the record's key, which a call's start marker
 * and its end share.
 */
export interface AuditRecord {
  time: string;
  /** Unique per call; a redelivered or replayed line of the same call rewrites the same record. */
  callId?: string;
  requestId: string;
  agentId: string;
  tenant: string;
  credentialId: string;
  onBehalfOf?: string;
  tool: string;
  toolVersion?: number;
  outcome: AuditOutcome;
  errorCode?: string;
  latencyMs: number;
  argumentsDigest: string;
  /** The raw arguments, only for tools that opt in (`audit: { arguments: true }`). */
  arguments?: Record<string, unknown>;
  /** The encoded size of a result that was cut to fit a response. */
  resultCutFromBytes?: number;
  /** For a call protected against duplicates: a digest of its idempotency key (never the key itself). */
  idempotencyKey?: string;
  /** For a replay: the `callId` of the call whose stored result answered it. */
  replayOf?: string;
  /** For a call that asks the client for input (MCP 2026-07-28): its round, 1 for the first request. */
  inputRound?: number;
  /** The keys of the input requests a round ended with (outcome `input_required`). */
  inputRequests?: string[];
  /** A result stored and answered with a resource link: its URI and the bytes stored. */
  resultLinked?: { uri: string; bytes: number };
}

/** Where audit records go. The log sink writes a structured line; the governance layer adds a DynamoDB sink. */
export interface AuditSink {
  record(record: AuditRecord): Promise<void>;
}

/** The message of an audit log line: the end of a call, or the start of one whose tool is about to run. */
export const AUDIT_LINE_MESSAGE = 'tool call';
export const AUDIT_START_LINE_MESSAGE = 'tool call started';

export function createLogAuditSink(logger: Logger): AuditSink {
  return {
    async record(record) {
      logger.info(record.outcome === 'started' ? AUDIT_START_LINE_MESSAGE : AUDIT_LINE_MESSAGE, { audit: record });
    },
  };
}

/** A stable digest of arguments (keys sorted), so equal calls can be correlated without storing their values. */
export function digestArguments(args: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(args)).digest('hex')}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function principalFields(
  principal: Principal,
): Pick<AuditRecord, 'agentId' | 'tenant' | 'credentialId' | 'onBehalfOf'> {
  return {
    agentId: principal.agentId,
    tenant: principal.tenant,
    credentialId: principal.credentialId,
    ...(principal.onBehalfOf ? { onBehalfOf: principal.onBehalfOf } : {}),
  };
}
