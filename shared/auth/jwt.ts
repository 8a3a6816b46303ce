import type { Logger } from '../logging/logger.js';
import type { Principal } from './principal.js';

export interface JwtVerifierOptions {
  /** The issuer (`iss`) tokens must carry. */
  issuer: string;
  /** JWKS URL; by default discovered from the issuer's metadata. */
  jwksUri?: string;
  /** The audience tokens must name: this resource (RFC 8707). */
  audience: string;
  /** Accepted algorithms: asymmetric only, so a public key can never be used as an HMAC secret. */
  algorithms: readonly string[];
  /** Claim that names the tenant. */
  tenantClaim: string;
  logger: Logger;
  /** Leeway for `exp`/`nbf`, in seconds. */
  clockToleranceSeconds?: number;
  fetch?: typeof fetch;
}

export interface JwtVerifier {
  verify(token: string): Promise<Principal>;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(token: string): boolean {
  return JWT_SHAPE.test(token);
}

/**
 * Verifies OAuth 2.1 bearer JWTs (./jwt-verifier.ts). The JOSE library is loaded with the first token, once per
 * container: a function that only sees API keys never reads or initializes it, which keeps it off the cold start.
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  let verifier: Promise<JwtVerifier> | undefined;
  return {
    async verify(token) {
      verifier ??= import('./jwt-verifier.js').then((module) => module.createJoseJwtVerifier(options));
      return (await verifier).verify(token);
    },
  };
}
