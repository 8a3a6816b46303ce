import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { AuthError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import type { JwtVerifier, JwtVerifierOptions } from './jwt.js';
import type { Principal } from './principal.js';

/** Finds the JWKS URL in the issuer's OpenID Connect or OAuth 2.0 authorization server metadata. */
async function discoverJwksUri(issuer: string, fetchImpl: typeof fetch): Promise<string> {
  const base = issuer.replace(/\/+$/, '');
  const url = new URL(issuer);
  const candidates = [
    `${base}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '')}`,
  ];
  for (const candidate of candidates) {
    try {
      const response = await fetchImpl(candidate, { signal: AbortSignal.timeout(3_000) });
      if (!response.ok) continue;
      const metadata = (await response.json()) as { issuer?: string; jwks_uri?: string };
      if (metadata.jwks_uri && (metadata.issuer === undefined || metadata.issuer === issuer)) return metadata.jwks_uri;
    } catch {
      // try the next well-known location
    }
  }
  throw new Error('no jwks_uri in the issuer metadata');
}

const scopesOf = (payload: JWTPayload): string[] => {
  if (typeof payload.scope === 'string') return payload.scope.split(' ').filter(Boolean);
  if (Array.isArray(payload.scp)) return payload.scp.filter((s): s is string => typeof s === 'string');
  if (typeof payload.scp === 'string') return payload.scp.split(' ').filter(Boolean);
  return [];
};

const stringClaim = (payload: JWTPayload, name: string): string | undefined => {
  const value = payload[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/**
 * Who a verified token speaks for. With an RFC 8693 `act` claim, the actor is the agent and `sub` is the user it acts
 * for; otherwise a client (`client_id`/`azp`) acting with a user's token acts on behalf of `sub`; a client-credentials
 * token (`sub` = client) is the agent itself.
 */
export function principalFromClaims(payload: JWTPayload, tenantClaim: string): Principal {
  const subject = payload.sub;
  if (!subject) throw new AuthError('invalid_token', 'The token has no subject.');
  const actor = payload.act && typeof payload.act === 'object' ? (payload.act as Record<string, unknown>) : undefined;
  const actorId = actor && typeof actor.sub === 'string' ? actor.sub : undefined;
  const clientId = stringClaim(payload, 'client_id') ?? stringClaim(payload, 'azp');
  let agentId = subject;
  let onBehalfOf: string | undefined;
  if (actorId) {
    agentId = actorId;
    onBehalfOf = subject;
  } else if (clientId && clientId !== subject) {
    agentId = clientId;
    onBehalfOf = subject;
  }
  return {
    agentId,
    tenant: stringClaim(payload, tenantClaim) ?? stringClaim(payload, 'tid') ?? 'default',
    scopes: scopesOf(payload),
    method: 'jwt',
    credentialId: payload.jti ? `jwt:${payload.jti}` : 'jwt',
    ...(onBehalfOf ? { onBehalfOf } : {}),
  };
}

/**
 * Verifies OAuth 2.1 bearer JWTs with jose: signature (JWKS, cached), `iss`, `aud`, `exp`/`nbf`, asymmetric
 * algorithms only. Loaded by `createJwtVerifier` (./jwt.ts) with the first token.
 */
export function createJoseJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const fetchImpl = options.fetch ?? fetch;
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keySet = () => {
    jwks ??= (async () => {
      const uri = options.jwksUri ?? (await discoverJwksUri(options.issuer, fetchImpl));
      return createRemoteJWKSet(new URL(uri), {
        cacheMaxAge: 10 * 60_000,
        cooldownDuration: 30_000,
        timeoutDuration: 3_000,
      });
    })();
    jwks.catch(() => {
      jwks = undefined; // retry discovery on the next token
    });
    return jwks;
  };
  /** The key for a token; failing to fetch the issuer's keys is the issuer's problem (503), not the token's (401). */
  const keyFor: JWTVerifyGetKey = async (header, token) => {
    let remote: Awaited<ReturnType<typeof keySet>>;
    try {
      remote = await keySet();
    } catch (error) {
      throw new KeySetUnavailableError(error);
    }
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof joseErrors.JOSEError && isTokenProblem(error)) throw error;
      throw new KeySetUnavailableError(error);
    }
  };

  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        const result = await jwtVerify(token, keyFor, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: [...options.algorithms],
          clockTolerance: options.clockToleranceSeconds ?? 5,
          requiredClaims: ['exp', 'sub'],
        });
        payload = result.payload;
      } catch (error) {
        throw tokenError(error, options.logger);
      }
      return principalFromClaims(payload, options.tenantClaim);
    },
  };
}

class KeySetUnavailableError extends Error {
  constructor(cause: unknown) {
    super("the issuer's signing keys are unavailable", { cause });
    this.name = 'KeySetUnavailableError';
  }
}

/** Errors the key set raises about the token itself (no key for its `kid`/`alg`), not about fetching keys. */
function isTokenProblem(error: InstanceType<typeof joseErrors.JOSEError>): boolean {
  return (
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys ||
    error instanceof joseErrors.JOSENotSupported ||
    error instanceof joseErrors.JWSInvalid
  );
}

/** Refusals of the token itself become AuthError (401); failures to reach the issuer stay errors (503, retry). */
function tokenError(error: unknown, logger: Logger): Error {
  if (error instanceof KeySetUnavailableError) {
    logger.error("the issuer's signing keys could not be fetched", { error });
    return error;
  }
  if (error instanceof joseErrors.JWTExpired) return new AuthError('invalid_token', 'The token has expired.');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const claim = error.claim === 'aud' ? 'audience (it was not issued for this server)' : `"${error.claim}" claim`;
    return new AuthError('invalid_token', `The token's ${claim} is not valid.`);
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return new AuthError('invalid_token', 'The token is signed with an algorithm this server does not accept.');
  if (error instanceof joseErrors.JOSEError && !(error instanceof joseErrors.JWKSTimeout)) {
    return new AuthError('invalid_token', 'The token is invalid.');
  }
  logger.error("the issuer's signing keys could not be fetched", { error: error as Error });
  return new Error('signing keys unavailable', { cause: error });
}
