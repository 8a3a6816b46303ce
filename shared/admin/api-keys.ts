import { createApiKey, hashApiKey, looksLikeApiKey, type NewApiKey } from '../auth/api-keys.js';
import { type ApiKeyItem, type ApiKeyRecord, type ApiKeyRole, createApiKeyStore } from '../store/api-keys.js';
import type { RateLimit, TableRef } from '../store/items.js';
import { DEFAULT_TENANT } from '../tenants/tenants.js';
import { AdminError } from './admin-error.js';
import { checkScopes, checkTenant, type MalformedItemHandler } from './input.js';

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

/** An API key as operators see it: everything but the key and its hash (the key id is the only handle). */
export interface ApiKeySummary {
  keyId: string;
  agentId: string;
  tenant: string;
  /** `agent` (calls tools) or `tenant-admin` (administers its tenant through the admin API). */
  role: ApiKeyRole;
  scopes: string[];
  description: string | null;
  rateLimit: RateLimit | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  status: ApiKeyStatus;
}

/** Agent ids and tenants name who calls in audit records and rate counters: no spaces, no `#`, at most 128. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
const KEY_ID_PATTERN = /^key_[0-9a-f]{16}$/;

export function apiKeyStatus(item: Pick<ApiKeyItem, 'expiresAt' | 'revokedAt'>, now: Date = new Date()): ApiKeyStatus {
  if (item.revokedAt) return 'revoked';
  if (item.expiresAt && Date.parse(item.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}

function summarize(item: ApiKeyRecord, now: Date): ApiKeySummary {
  return {
    keyId: item.keyId,
    agentId: item.agentId,
    tenant: item.tenant,
    role: item.role,
    scopes: [...item.scopes],
    description: item.description ?? null,
    rateLimit: item.rateLimit ?? null,
    createdAt: item.createdAt,
    expiresAt: item.expiresAt ?? null,
    revokedAt: item.revokedAt ?? null,
    status: apiKeyStatus(item, now),
  };
}

export interface IssuedApiKey {
  /** The key itself: show it once, it is not stored anywhere. */
  key: string;
  summary: ApiKeySummary;
}

/**
 * Checks the input and creates a key (only its SHA-256 is stored). An agent key needs at least one scope; a tenant
 * admin key (`role: 'tenant-admin'`) takes none (it calls no tool) and needs a tenant other than `default`.
 */
export async function issueApiKey(store: TableRef, input: NewApiKey, now: Date = new Date()): Promise<IssuedApiKey> {
  if (!AGENT_ID_PATTERN.test(input.agentId)) {
    throw new AdminError(
      'INVALID_INPUT',
      `Invalid agent id ${JSON.stringify(input.agentId)}: 1-128 letters, digits and . _ : @ / + = -`,
    );
  }
  // A tenant names its secrets' folder (`<prefix><tenant>/`) and its own tools (`@<tenant>/<name>`): one segment.
  if (input.tenant !== undefined) checkTenant(input.tenant);
  const scopes = checkScopes(input.scopes);
  if (input.role === 'tenant-admin') {
    if (scopes.length > 0) {
      throw new AdminError(
        'INVALID_INPUT',
        'A tenant admin key takes no scopes: it administers its tenant and calls no tool.',
      );
    }
    if (input.tenant === undefined || input.tenant === DEFAULT_TENANT) {
      throw new AdminError(
        'INVALID_INPUT',
        `A tenant admin key needs its tenant (--tenant T), and not "${DEFAULT_TENANT}": the default tenant is the platform's own.`,
      );
    }
  } else if (scopes.length === 0) {
    throw new AdminError('INVALID_INPUT', 'A key needs at least one scope (`*` grants every scope).');
  }
  if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) {
    throw new AdminError('INVALID_INPUT', `The expiry ${input.expiresAt.toISOString()} is not in the future.`);
  }
  if (input.description !== undefined && !input.description.trim()) {
    throw new AdminError('INVALID_INPUT', 'The description is empty.');
  }
  const created = await createApiKey(store, { ...input, scopes, description: input.description?.trim() });
  const { PK: _hash, SK: _sk, ...item } = created.item;
  return { key: created.key, summary: summarize(item, now) };
}

/** Every API key, oldest first. Items that do not parse are skipped (and reported to `onMalformed`). */
export async function listApiKeys(
  store: TableRef,
  options: { now?: Date; onMalformed?: MalformedItemHandler } = {},
): Promise<ApiKeySummary[]> {
  const now = options.now ?? new Date();
  const keys = (await createApiKeyStore(store).list(options.onMalformed)).map((record) => summarize(record, now));
  return keys.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}

/**
 * Revokes a key by its id (`key_…`; the key itself is accepted too). Instances stop accepting it within their
 * `AUTH_CACHE_TTL_MS`. Refuses an unknown key id and a key already revoked.
 */
export async function revokeApiKey(
  store: TableRef,
  keyIdOrKey: string,
  /** `tenant`: only a key of this tenant; another tenant's key answers as an unknown one (KEY_NOT_FOUND). */
  options: { now?: Date; tenant?: string } = {},
): Promise<ApiKeySummary> {
  const now = options.now ?? new Date();
  const keyId = looksLikeApiKey(keyIdOrKey) ? `key_${hashApiKey(keyIdOrKey).slice(0, 16)}` : keyIdOrKey;
  if (!KEY_ID_PATTERN.test(keyId)) {
    throw new AdminError(
      'INVALID_INPUT',
      `Invalid key id ${JSON.stringify(keyIdOrKey)}: key ids look like key_0123456789abcdef.`,
    );
  }
  const outcome = await createApiKeyStore(store).revoke(keyId, now, options.tenant);
  if (outcome.revoked) return summarize(outcome.record, now);
  if (outcome.reason === 'already-revoked') {
    throw new AdminError('KEY_ALREADY_REVOKED', `The key ${keyId} was already revoked at ${outcome.revokedAt}.`);
  }
  throw new AdminError('KEY_NOT_FOUND', `No API key with id ${keyId}.`);
}
