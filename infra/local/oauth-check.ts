import {
  describeAttempt,
  discoverIssuerMetadata,
  fetchKeySet,
  IssuerLookupError,
} from '../../shared/auth/issuer-metadata.js';

/** What `npm start` found out about the OAuth issuer before serving. */
export interface IssuerCheck {
  /** The issuer identifier tokens must carry (the metadata's own `issuer`, when it was discovered). */
  issuer: string;
  jwksUri?: string;
  /** How many signing keys the JWKS holds. */
  keys?: number;
  /** A problem that may pass by itself (the issuer is not up yet): tokens are refused with 503 until it answers. */
  warning?: string;
}

/** A configuration that cannot work: `npm start` stops and says why. */
export class IssuerConfigProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IssuerConfigProblem';
  }
}

/**
 * Asks the issuer for its metadata (unless `jwksUri` is given) and its signing keys, as the workers will with the first
 * token: a wrong issuer URL, metadata naming another issuer or a JWKS without keys is an IssuerConfigProblem naming every
 * URL tried and what it answered; an issuer that does not answer (yet) is a warning.
 */
export async function checkIssuer(
  issuer: string,
  options: { jwksUri?: string; fetch?: typeof fetch } = {},
): Promise<IssuerCheck> {
  let expected = issuer;
  let jwksUri = options.jwksUri;
  try {
    if (!jwksUri) {
      const metadata = await discoverIssuerMetadata(issuer, options.fetch);
      expected = metadata.issuer;
      jwksUri = metadata.jwksUri;
    }
    const { keys } = await fetchKeySet(jwksUri, options.fetch);
    return { issuer: expected, jwksUri, keys: keys.length };
  } catch (error) {
    if (!(error instanceof IssuerLookupError)) throw error;
    const tried = error.attempts.map((attempt) => `    ${describeAttempt(attempt)}`).join('\n');
    if (error.permanent) {
      throw new IssuerConfigProblem(
        `OAUTH_ISSUER=${issuer} cannot work: ${jwksUri ? "the issuer's signing keys" : 'no usable issuer metadata'} at\n${tried}\n` +
          'Set OAUTH_ISSUER to the issuer identifier exactly as its metadata\'s "issuer" says (and OAUTH_JWKS_URI only if it has no metadata).',
      );
    }
    return {
      issuer: expected,
      ...(jwksUri ? { jwksUri } : {}),
      warning: `the issuer does not answer now; tokens are refused with 503 until it does:\n${tried}`,
    };
  }
}
