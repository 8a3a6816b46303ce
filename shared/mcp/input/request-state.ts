import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The `requestState` of a multi-round tool call (MCP 2026-07-28 `input_required`): what the call needs to resume on
 * any instance, sealed with an HMAC so that the client can hold it but not change it.
 *
 *   <key id>.<base64url(JSON payload)>.<base64url(HMAC-SHA256(key, "<key id>.<payload>"))>
 *
 * The payload names the tool, the caller and a digest of the arguments the state was issued for, the answers of the
 * rounds so far, the keys of the requests still open, and when the state expires. It is not encrypted: it holds only
 * what the client sent or was sent.
 */
export interface RequestStatePayload {
  v: 1;
  /** Unique per state: a state is used once. */
  id: string;
  tool: string;
  /** Digest of the caller (agent, tenant and credential). */
  caller: string;
  argumentsDigest: string;
  /** Rounds answered so far (1 for the state issued by the first input_required). */
  round: number;
  /** The answers of earlier rounds, by request key. */
  answers: Record<string, unknown>;
  /** The keys of the requests this state was issued with. */
  asked: string[];
  /** Seconds since the epoch after which the state is refused. */
  exp: number;
}

/** Why a state is refused; each is a distinct error the client can act on. */
export type RequestStateProblem = 'malformed' | 'forged' | 'expired' | 'transplanted' | 'replayed';

export class RequestStateError extends Error {
  readonly code = 'REQUEST_STATE_REFUSED';
  constructor(
    readonly problem: RequestStateProblem,
    message: string,
  ) {
    super(message);
    this.name = 'RequestStateError';
  }
}

/** The signing keys: one signs, every listed one verifies (so a key can be rotated without breaking calls in flight). */
export interface RequestStateKeys {
  signingId: string;
  keys: ReadonlyMap<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * The keys from their secret: `{"signing": "k2", "k2": "<random>", "k1": "<older>"}`. To rotate: add the new key, wait
 * for the secrets cache (SECRETS_TTL_MS) to pass, make it the signing one, and drop the old one once the states it
 * signed have expired.
 */
export function parseRequestStateKeys(secret: string): RequestStateKeys {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    throw new Error('the request-state key secret is not JSON');
  }
  const record = (parsed ?? {}) as Record<string, unknown>;
  const signingId = record.signing;
  const keys = new Map<string, Buffer>();
  for (const [id, value] of Object.entries(record)) {
    if (id === 'signing') continue;
    if (KEY_ID.test(id) && typeof value === 'string' && value.length >= 32) keys.set(id, Buffer.from(value, 'utf8'));
  }
  if (typeof signingId !== 'string' || !keys.has(signingId)) {
    throw new Error('the request-state key secret names no signing key of at least 32 characters');
  }
  return { signingId, keys };
}

/** A digest of who is calling, for binding a state to its caller. */
export function callerDigest(principal: { agentId: string; tenant: string; credentialId: string }): string {
  return createHash('sha256')
    .update(JSON.stringify([principal.agentId, principal.tenant, principal.credentialId]))
    .digest('base64url')
    .slice(0, 22);
}

export function newStateId(): string {
  return randomBytes(12).toString('base64url');
}

const mac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

export function sealRequestState(payload: RequestStatePayload, keys: RequestStateKeys): string {
  const body = `${keys.signingId}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${body}.${mac(keys.keys.get(keys.signingId)!, body).toString('base64url')}`;
}

/**
 * The payload of a state this server issued, checked for integrity (any key listed verifies), expiry and binding to
 * the tool, caller and arguments it is presented with. Single use is the caller's to enforce (the payload's `id`).
 */
export function openRequestState(
  state: string,
  keys: RequestStateKeys,
  expected: { tool: string; caller: string; argumentsDigest: string; now?: number },
): RequestStatePayload {
  const parts = state.split('.');
  if (parts.length !== 3 || state.length > 200_000) {
    throw new RequestStateError('malformed', 'The requestState is not one this server issued (malformed).');
  }
  const [id, encoded, signature] = parts as [string, string, string];
  const key = keys.keys.get(id);
  const given = Buffer.from(signature, 'base64url');
  const wanted = key ? mac(key, `${id}.${encoded}`) : undefined;
  if (!wanted || given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    throw new RequestStateError(
      'forged',
      'The requestState failed its integrity check: it was changed, or not issued by this server. Call the tool again without it.',
    );
  }
  let payload: RequestStatePayload;
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as RequestStatePayload;
  } catch {
    throw new RequestStateError('malformed', 'The requestState is not one this server issued (malformed).');
  }
  if (payload.exp * 1000 <= (expected.now ?? Date.now())) {
    throw new RequestStateError('expired', 'The requestState has expired; call the tool again without it.');
  }
  if (
    payload.tool !== expected.tool ||
    payload.caller !== expected.caller ||
    payload.argumentsDigest !== expected.argumentsDigest
  ) {
    throw new RequestStateError(
      'transplanted',
      'The requestState was issued for another tool, caller or arguments; send it only with the call it came from.',
    );
  }
  return payload;
}
