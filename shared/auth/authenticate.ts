import { AuthError } from '../errors/errors.js';
import { API_KEY_PREFIX, type ApiKeyVerifier } from './api-keys.js';
import { type JwtVerifier, looksLikeJwt } from './jwt.js';
import type { Principal } from './principal.js';

/** Turns request headers into a principal. One seam for every credential kind (API keys now, JWTs next). */
export interface Authenticator {
  authenticate(headers: Readonly<Record<string, string | undefined>>): Promise<Principal>;
}

const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;

/** The token of an `Authorization: Bearer <token>` header; undefined for any other form. */
export function bearerTokenOf(header: string): string | undefined {
  return BEARER.exec(header)?.[1];
}

/** API keys (`mcpk_...`) are looked up in the registry; JWTs are verified against the configured issuer. */
export function createAuthenticator(options: { apiKeys: ApiKeyVerifier; jwt?: JwtVerifier }): Authenticator {
  return {
    async authenticate(headers) {
      const header = headers['authorization'];
      if (!header)
        throw new AuthError('invalid_request', 'Authentication required: send "Authorization: Bearer <key>".');
      const token = bearerTokenOf(header);
      if (!token) {
        throw new AuthError('invalid_request', 'The Authorization header must be "Bearer <key>".', { malformed: true });
      }
      if (token.startsWith(API_KEY_PREFIX)) return options.apiKeys.verify(token);
      if (options.jwt && looksLikeJwt(token)) return options.jwt.verify(token);
      throw new AuthError('invalid_token', 'The bearer token is not a valid API key or access token.');
    },
  };
}
