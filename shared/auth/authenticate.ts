import { AuthError } from '../errors/errors.js';
import type { ApiKeyVerifier } from './api-keys.js';
import type { Principal } from './principal.js';

/** Turns request headers into a principal. One seam for every credential kind (API keys now, JWTs next). */
export interface Authenticator {
  authenticate(headers: Readonly<Record<string, string | undefined>>): Promise<Principal>;
}

const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;

export function createAuthenticator(options: { apiKeys: ApiKeyVerifier }): Authenticator {
  return {
    async authenticate(headers) {
      const header = headers['authorization'];
      if (!header)
        throw new AuthError('invalid_request', 'Authentication required: send "Authorization: Bearer <key>".');
      const match = BEARER.exec(header);
      if (!match?.[1]) throw new AuthError('invalid_request', 'The Authorization header must be "Bearer <key>".');
      return options.apiKeys.verify(match[1]);
    },
  };
}
