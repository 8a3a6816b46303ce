import { AuthConfigError } from '../errors/errors.js';

/** One request made while looking for the issuer's metadata or keys: what was asked and what came back. */
export interface FetchAttempt {
  url: string;
  /** The HTTP status, when the issuer answered. */
  status?: number;
  /** Why there is no usable answer (network error, not JSON, another issuer, no `jwks_uri`). */
  problem?: string;
}

/** What the issuer's metadata says: the issuer identifier tokens carry, exactly, and where its keys are. */
export interface IssuerMetadata {
  issuer: string;
  jwksUri: string;
  /** The metadata document that said so. */
  metadataUrl: string;
}

/** Issuer and configured issuer are the same identifier but for one trailing slash (`https://a.example` vs `https://a.example/`). */
export function sameIssuer(configured: string, published: string): boolean {
  const bare = (value: string) => (value.endsWith('/') ? value.slice(0, -1) : value);
  return configured === published || bare(configured) === bare(published);
}

/**
 * Where an issuer's metadata may be (OpenID Connect Discovery 1.0 and RFC 8414, in the order MCP clients try them for
 * an issuer with a path, and the OpenID location first for one without).
 */
export function metadataUrlsOf(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  const appended = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  if (path === '') return [appended, `${url.origin}/.well-known/oauth-authorization-server`];
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
    appended,
  ];
}

/** A failure that says more about the configuration than about the moment: 4xx other than 408/429, unusable documents. */
export function isPermanent(attempt: FetchAttempt): boolean {
  if (attempt.status === undefined)
    return attempt.problem !== undefined && !attempt.problem.startsWith('request failed');
  if (attempt.status < 300) return true; // it answered, with something that cannot be used
  return attempt.status >= 400 && attempt.status < 500 && attempt.status !== 408 && attempt.status !== 429;
}

export const describeAttempt = (attempt: FetchAttempt) =>
  `GET ${attempt.url} → ${[attempt.status, attempt.problem].filter((part) => part !== undefined).join(' ')}`;

/** The failure of a whole lookup: a configuration problem when every attempt failed for good, an outage otherwise. */
export class IssuerLookupError extends Error {
  readonly attempts: readonly FetchAttempt[];
  readonly permanent: boolean;

  constructor(what: string, attempts: readonly FetchAttempt[]) {
    super(`${what}: ${attempts.map(describeAttempt).join('; ')}`);
    this.name = 'IssuerLookupError';
    this.attempts = attempts;
    this.permanent = attempts.length > 0 && attempts.every(isPermanent);
  }
}

/**
 * Reads the issuer's metadata (RFC 8414 / OpenID Connect Discovery) and returns its `issuer` and `jwks_uri`. The
 * published `issuer` must be the configured one, but for one trailing slash; it is the published form that tokens carry
 * (`iss`), so that is the one returned. Throws IssuerLookupError naming every URL tried and what it answered.
 */
export async function discoverIssuerMetadata(
  issuer: string,
  fetchImpl: typeof fetch = fetch,
  timeoutMs = 3_000,
): Promise<IssuerMetadata> {
  const attempts: FetchAttempt[] = [];
  for (const url of metadataUrlsOf(issuer)) {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        signal: AbortSignal.timeout(timeoutMs),
        headers: { accept: 'application/json' },
      });
    } catch (error) {
      attempts.push({ url, problem: `request failed (${causeOf(error)})` });
      continue;
    }
    if (!response.ok) {
      attempts.push({ url, status: response.status });
      await response.body?.cancel().catch(() => undefined);
      continue;
    }
    let metadata: { issuer?: unknown; jwks_uri?: unknown };
    try {
      metadata = (await response.json()) as typeof metadata;
    } catch {
      attempts.push({ url, status: response.status, problem: 'not a JSON document' });
      continue;
    }
    const published = typeof metadata?.issuer === 'string' ? metadata.issuer : undefined;
    if (published !== undefined && !sameIssuer(issuer, published)) {
      attempts.push({ url, status: response.status, problem: `names another issuer, "${published}"` });
      continue;
    }
    if (typeof metadata.jwks_uri !== 'string' || !URL.canParse(metadata.jwks_uri)) {
      attempts.push({ url, status: response.status, problem: 'has no jwks_uri' });
      continue;
    }
    return { issuer: published ?? issuer, jwksUri: metadata.jwks_uri, metadataUrl: url };
  }
  throw new IssuerLookupError(`no usable metadata for the issuer ${issuer}`, attempts);
}

/** Fetches a JWKS and checks it holds keys; throws IssuerLookupError with the URL and status otherwise. */
export async function fetchKeySet(
  jwksUri: string,
  fetchImpl: typeof fetch = fetch,
  timeoutMs = 3_000,
): Promise<{ keys: unknown[] }> {
  let response: Response;
  try {
    response = await fetchImpl(jwksUri, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    throw new IssuerLookupError("the issuer's signing keys", [
      { url: jwksUri, problem: `request failed (${causeOf(error)})` },
    ]);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new IssuerLookupError("the issuer's signing keys", [{ url: jwksUri, status: response.status }]);
  }
  const body = (await response.json().catch(() => undefined)) as { keys?: unknown } | undefined;
  if (!Array.isArray(body?.keys) || body.keys.length === 0) {
    throw new IssuerLookupError("the issuer's signing keys", [
      { url: jwksUri, status: response.status, problem: 'not a JSON Web Key Set with keys' },
    ]);
  }
  return { keys: body.keys };
}

/** The lookup's failure as the error the endpoint answers with: a configuration error when it cannot pass by itself. */
export function asAuthFailure(error: IssuerLookupError): Error {
  return error.permanent ? new AuthConfigError(error.message, { cause: error }) : error;
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string } })?.cause?.code;
  if ((error as Error)?.name === 'TimeoutError') return 'timed out';
  return cause ?? (error as Error)?.message ?? String(error);
}
