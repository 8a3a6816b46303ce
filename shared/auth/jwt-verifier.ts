import {
  createRemoteJWKSet,
  customFetch,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { AuthError, hasErrorCode } from '../errors/errors.js';
import { DEFAULT_TENANT } from '../tenants/tenants.js';
import {
  asAuthFailure,
  discoverIssuerMetadata,
  type FetchAttempt,
  IssuerLookupError,
  sameIssuer,
} from './issuer-metadata.js';
import type { JwtVerifier, JwtVerifierOptions } from './jwt.js';
import type { Principal } from './principal.js';

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
    tenant: stringClaim(payload, tenantClaim) ?? DEFAULT_TENANT,
    scopes: scopesOf(payload),
    method: 'jwt',
    credentialId: payload.jti ? `jwt:${payload.jti}` : 'jwt',
    ...(onBehalfOf ? { onBehalfOf } : {}),
  };
}

/** How long a fetched JWKS is trusted: a signing key the issuer removed is still accepted for up to this long. */
export const JWKS_CACHE_MS = 10 * 60_000;
/** Least time between two JWKS fetches for a token whose `kid` is not in the cached set. */
export const JWKS_COOLDOWN_MS = 30_000;
/** Leeway for `exp` and `nbf` unless configured. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;

interface KeySet {
  /** The issuer identifier tokens must carry: the issuer's metadata's own `issuer` when it was discovered. */
  issuer: string;
  jwksUri: string;
  remote: ReturnType<typeof createRemoteJWKSet>;
  /** What the last JWKS request answered. */
  lastFetch(): FetchAttempt | undefined;
}

/**
 * Verifies OAuth 2.1 bearer JWTs with jose: signature (JWKS, cached), `iss`, `aud`, `exp`/`nbf`, asymmetric
 * algorithms only. Loaded by `createJwtVerifier` (./jwt.ts) with the first token.
 */
export function createJoseJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const fetchImpl = options.fetch ?? fetch;
  let keySet: Promise<KeySet> | undefined;
  const loadKeySet = () => {
    keySet ??= (async (): Promise<KeySet> => {
      const discovered = options.jwksUri ? undefined : await discoverIssuerMetadata(options.issuer, fetchImpl);
      const jwksUri = options.jwksUri ?? discovered!.jwksUri;
      let last: FetchAttempt | undefined;
      const recordingFetch = async (url: string, init: RequestInit) => {
        try {
          const response = await fetchImpl(url, init);
          last = { url, status: response.status };
          return response;
        } catch (error) {
          last = {
            url,
            problem: `request failed (${(error as Error).name === 'TimeoutError' ? 'timed out' : String((error as Error).message)})`,
          };
          throw error;
        }
      };
      const remote = createRemoteJWKSet(new URL(jwksUri), {
        cacheMaxAge: JWKS_CACHE_MS,
        cooldownDuration: JWKS_COOLDOWN_MS,
        timeoutDuration: 3_000,
        [customFetch]: recordingFetch,
      });
      return { issuer: discovered?.issuer ?? options.issuer, jwksUri, remote, lastFetch: () => last };
    })();
    keySet.catch(() => {
      keySet = undefined; // retry discovery on the next token
    });
    return keySet;
  };

  /** The key for a token; failing to fetch the issuer's keys is the issuer's problem (503 or 500), not the token's (401). */
  const keyFor =
    (keys: KeySet): JWTVerifyGetKey =>
    async (header, token) => {
      try {
        return await keys.remote(header, token);
      } catch (error) {
        if (error instanceof joseErrors.JOSEError && isTokenProblem(error)) throw error;
        const attempt = keys.lastFetch() ?? { url: keys.jwksUri, problem: (error as Error).message };
        const status = attempt.status;
        const failed: FetchAttempt =
          status !== undefined && status >= 200 && status < 300
            ? { ...attempt, problem: 'not a JSON Web Key Set' }
            : attempt;
        throw new KeySetUnavailableError(new IssuerLookupError("the issuer's signing keys", [failed]));
      }
    };

  return {
    async verify(token) {
      let payload: JWTPayload;
      let keys: KeySet | undefined;
      try {
        keys = await loadKeySet();
        const result = await jwtVerify(token, keyFor(keys), {
          issuer: keys.issuer,
          audience: options.audience,
          algorithms: [...options.algorithms],
          clockTolerance: options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'sub'],
        });
        payload = result.payload;
      } catch (error) {
        throw tokenError(error, options, keys);
      }
      return principalFromClaims(payload, options.tenantClaim);
    },
  };
}

class KeySetUnavailableError extends Error {
  constructor(cause: IssuerLookupError) {
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

/**
 * Refusals of the token itself become AuthError (401). Failures to reach the issuer stay errors (503, retry); a
 * lookup that failed for good (the issuer's metadata or keys are not where the configuration says) becomes an
 * AuthConfigError (500, an operator must act). Either is logged with every URL tried and what it answered.
 */
function tokenError(error: unknown, options: JwtVerifierOptions, keys: KeySet | undefined): Error {
  const { logger } = options;
  const lookup =
    error instanceof IssuerLookupError
      ? error
      : error instanceof KeySetUnavailableError && error.cause instanceof IssuerLookupError
        ? error.cause
        : undefined;
  if (lookup) {
    logger.error(
      lookup.permanent
        ? 'OAuth is misconfigured: the issuer metadata or signing keys at these URLs cannot be used'
        : "the issuer's metadata or signing keys could not be fetched",
      { issuer: options.issuer, attempts: lookup.attempts.map((a) => ({ ...a })) },
    );
    return asAuthFailure(lookup);
  }
  if (hasErrorCode(error, 'AUTH_MISCONFIGURED')) return error;
  if (error instanceof joseErrors.JWTExpired) return new AuthError('invalid_token', 'The token has expired.');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (
      error.claim === 'iss' &&
      keys &&
      typeof error.payload.iss === 'string' &&
      sameIssuer(keys.issuer, error.payload.iss)
    ) {
      logger.warn('tokens carry an issuer that differs from OAUTH_ISSUER by a trailing slash; set it exactly', {
        configured: keys.issuer,
        tokens: error.payload.iss,
      });
    }
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
