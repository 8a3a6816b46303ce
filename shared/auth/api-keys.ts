import { createHash, randomBytes } from 'node:crypto';
import { LoadingCache } from '../cache/loading-cache.js';
import { AuthError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import {
  API_KEY_SORT_KEY,
  type ApiKeyItem,
  type ApiKeyRole,
  apiKeyPartition,
  createApiKeyStore,
} from '../store/api-keys.js';
import type { RateLimit, TableRef } from '../store/items.js';
import type { Principal } from './principal.js';

/** API keys look like `mcpk_<43 base64url characters>`: 256 bits of randomness behind a recognisable prefix. */
export const API_KEY_PREFIX = 'mcpk_';
const API_KEY_PATTERN = /^mcpk_[A-Za-z0-9_-]{43}$/;

/** Only this digest is stored; the key itself is shown once, when it is created. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function looksLikeApiKey(token: string): boolean {
  return API_KEY_PATTERN.test(token);
}

export interface NewApiKey {
  agentId: string;
  scopes: readonly string[];
  tenant?: string;
  /** @default 'agent' */
  role?: ApiKeyRole;
  expiresAt?: Date;
  description?: string;
  rateLimit?: RateLimit;
}

export interface CreatedApiKey {
  /** The key: shown once, never stored. */
  key: string;
  keyId: string;
  item: ApiKeyItem;
}

/** Creates an API key and stores its hash. */
export async function createApiKey(table: TableRef, input: NewApiKey): Promise<CreatedApiKey> {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const hash = hashApiKey(key);
  const item: ApiKeyItem = {
    PK: apiKeyPartition(hash),
    SK: API_KEY_SORT_KEY,
    keyId: `key_${hash.slice(0, 16)}`,
    agentId: input.agentId,
    tenant: input.tenant ?? 'default',
    role: input.role ?? 'agent',
    scopes: [...input.scopes],
    createdAt: new Date().toISOString(),
    ...(input.expiresAt ? { expiresAt: input.expiresAt.toISOString() } : {}),
    ...(input.description ? { description: input.description } : {}),
    ...(input.rateLimit ? { rateLimit: input.rateLimit } : {}),
  };
  await createApiKeyStore(table).create(item);
  return { key, keyId: item.keyId, item };
}

export interface ApiKeyVerifier {
  /** The principal for a presented key; AuthError(invalid_token) for unknown, revoked and expired keys alike. */
  verify(key: string): Promise<Principal>;
}

export interface ApiKeyVerifierOptions extends TableRef {
  /**
   * The keys this verifier accepts. The MCP endpoint takes agent keys only: a tenant admin key is answered exactly
   * like an unknown key there. The admin API takes tenant admin keys only, and tells the holder of an agent key so.
   * @default 'agent'
   */
  role?: ApiKeyRole;
  /** How long a looked-up key is trusted; a revoked key stops working within this time. */
  ttlMs: number;
  logger: Logger;
  now?: () => number;
}

export function createApiKeyVerifier(options: ApiKeyVerifierOptions): ApiKeyVerifier {
  const now = options.now ?? Date.now;
  const store = createApiKeyStore(options);
  const onMalformed = (issues: unknown) => options.logger.warn('malformed API key item', { issues });
  const cache = new LoadingCache<string, ApiKeyItem | null>({
    ttlMs: options.ttlMs,
    // Unknown keys are remembered briefly, so a flood of bad keys does not become a flood of reads.
    ttlFor: (item) => (item ? options.ttlMs : Math.min(options.ttlMs, 1_000)),
    maxEntries: 10_000,
    now,
    load: (hash) => store.get(hash, onMalformed),
  });

  // Principals are built once per cached key item, and errors only when a key is refused: a warm call allocates neither.
  const principals = new WeakMap<ApiKeyItem, Principal>();
  const invalid = () => new AuthError('invalid_token', 'The API key is invalid, expired or revoked.');
  const role = options.role ?? 'agent';
  // An agent never learns that admin keys exist; the admin API says why an agent's key is not enough.
  const otherRole = () =>
    role === 'agent'
      ? invalid()
      : new AuthError(
          'insufficient_scope',
          'This is an agent key: the admin API takes a tenant admin key (mcp-cluster keys create --admin).',
        );
  return {
    async verify(key) {
      if (!looksLikeApiKey(key)) throw invalid();
      const item = await cache.get(hashApiKey(key));
      if (!item || item.revokedAt) throw invalid();
      if (item.expiresAt && Date.parse(item.expiresAt) <= now()) throw invalid();
      if (item.role !== role) throw otherRole();
      let principal = principals.get(item);
      if (!principal) {
        principal = Object.freeze({
          agentId: item.agentId,
          tenant: item.tenant,
          scopes: item.scopes,
          method: 'api-key' as const,
          credentialId: item.keyId,
          ...(item.rateLimit ? { rateLimit: item.rateLimit } : {}),
        });
        principals.set(item, principal);
      }
      return principal;
    },
  };
}
