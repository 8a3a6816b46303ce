import type { SecretStore } from '../../secrets/secret-store.js';
import { parseRequestStateKeys, type RequestStateKeys } from './request-state.js';

/** The secret (below SECRETS_PREFIX) holding the keys that seal `requestState`s: `{"signing":"k1","k1":"..."}`. */
export const REQUEST_STATE_SECRET = 'request-state-key';

/**
 * The keys from Secrets Manager, through the secret store's cache (so a rotation reaches every instance within
 * SECRETS_TTL_MS), parsed once per value. The value is registered with the redactor like every secret.
 */
export function requestStateKeysFrom(secrets: SecretStore): () => Promise<RequestStateKeys> {
  let parsed: { value: string; keys: RequestStateKeys } | undefined;
  return async () => {
    const { key } = await secrets.resolve({ key: REQUEST_STATE_SECRET });
    if (parsed && parsed.value === key) return parsed.keys;
    const keys = parseRequestStateKeys(key!);
    parsed = { value: key!, keys };
    return keys;
  };
}
