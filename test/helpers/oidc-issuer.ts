/**
 * A small OpenID Connect issuer for tests, on loopback: real keys (RS256 and ES256), a real discovery document and
 * JWKS over HTTP, real signed tokens. It also crafts the hostile tokens a verifier must refuse.
 *
 *   const issuer = await startOidcIssuer({ audience: 'https://mcp.example.com/mcp' });
 *   const token = await issuer.issue({ sub: 'agent-1', scope: 'weather:read' });
 *   issuer.count('/jwks.json');    // how often the JWKS was fetched
 *   await issuer.close();
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export type IssuerAlgorithm = 'RS256' | 'ES256';

export const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/jwks.json';

export interface IssueOptions {
  /** @default 'RS256' */
  alg?: IssuerAlgorithm;
  /** Seconds from now (negative: already expired), or a jose time span such as '5m'. @default 300 */
  expiresIn?: number | string;
  /** Seconds from now before which the token is not valid (`nbf`). */
  notBefore?: number;
  /** `aud`; the issuer's default audience otherwise. */
  audience?: string | string[];
  /** `iss`; the issuer's own URL otherwise. */
  issuer?: string;
  /** `kid` in the header; the signing key's own kid otherwise. */
  kid?: string;
  /** Seconds from now for `iat`. @default 0 */
  issuedAt?: number;
}

export interface TestOidcIssuer {
  /** The issuer identifier (`iss`), e.g. `http://127.0.0.1:40123`: no trailing slash. */
  readonly url: string;
  readonly jwksUri: string;
  /** Audience used when `issue` is not given one; may be changed (e.g. once the resource's URL is known). */
  audience: string | undefined;
  /** HTTP status the JWKS endpoint answers with (200 serves the keys; anything else an error body). */
  jwksStatus: number;
  /** The public keys as published in the JWKS. */
  readonly publicJwks: { RS256: JWK; ES256: JWK };
  /** How many requests reached `path`. */
  count(path: string): number;
  /** A correctly signed token: the given claims over defaults `iss`, `aud`, `iat`, `exp`, `sub: 'test-agent'`. */
  issue(claims?: JWTPayload, options?: IssueOptions): Promise<string>;
  /** `alg: none`: base64url header and payload and an empty signature. */
  unsigned(claims?: JWTPayload, options?: IssueOptions): string;
  /** HS256 whose HMAC secret is the RSA public key's JWK JSON or PEM text (the key-confusion attack). */
  hmacWithPublicKey(claims?: JWTPayload, options?: IssueOptions & { secretForm?: 'jwk' | 'pem' }): Promise<string>;
  /** Signed by a key that is not in the JWKS (with `kid` `rogue-1` unless another is given). */
  signedByUnknownKey(claims?: JWTPayload, options?: IssueOptions): Promise<string>;
  /** Expired an hour ago (far beyond any clock tolerance). */
  expired(claims?: JWTPayload, options?: IssueOptions): Promise<string>;
  /** Valid only from an hour from now (`nbf`). */
  notYetValid(claims?: JWTPayload, options?: IssueOptions): Promise<string>;
  /** Correctly signed, but claims another issuer. */
  wrongIssuer(claims?: JWTPayload, options?: IssueOptions): Promise<string>;
  close(): Promise<void>;
}

const KIDS: Record<IssuerAlgorithm, string> = { RS256: 'rsa-1', ES256: 'ec-1' };

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Starts the issuer on `host` (127.0.0.1) and `port` (0: a free one). */
export async function startOidcIssuer(
  options: { audience?: string; port?: number; host?: string } = {},
): Promise<TestOidcIssuer> {
  const [rsa, ec, rogue] = await Promise.all([
    generateKeyPair('RS256'),
    generateKeyPair('ES256'),
    generateKeyPair('RS256'),
  ]);
  const publicJwks = {
    RS256: { ...(await exportJWK(rsa.publicKey)), kid: KIDS.RS256, alg: 'RS256', use: 'sig' },
    ES256: { ...(await exportJWK(ec.publicKey)), kid: KIDS.ES256, alg: 'ES256', use: 'sig' },
  };
  const rsaPem = await exportSPKI(rsa.publicKey);
  const privateKeys = { RS256: rsa.privateKey, ES256: ec.privateKey };

  const counts = new Map<string, number>();
  let url = '';
  const state = { jwksStatus: 200 };

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return reply(405, { error: 'method_not_allowed' });
    if (path === OPENID_CONFIGURATION_PATH) {
      return reply(200, {
        issuer: url,
        jwks_uri: `${url}${JWKS_PATH}`,
        authorization_endpoint: `${url}/authorize`,
        token_endpoint: `${url}/token`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      });
    }
    if (path === JWKS_PATH) {
      if (state.jwksStatus !== 200) return reply(state.jwksStatus, { error: 'unavailable' });
      return reply(200, { keys: [publicJwks.RS256, publicJwks.ES256] });
    }
    return reply(404, { error: 'not_found' });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  url = `http://${host}:${(server.address() as AddressInfo).port}`;

  const issuer: TestOidcIssuer = {
    url,
    jwksUri: `${url}${JWKS_PATH}`,
    audience: options.audience,
    get jwksStatus() {
      return state.jwksStatus;
    },
    set jwksStatus(status: number) {
      state.jwksStatus = status;
    },
    publicJwks,
    count: (path) => counts.get(path) ?? 0,

    async issue(claims = {}, issueOptions = {}) {
      const alg = issueOptions.alg ?? 'RS256';
      return sign(claims, issueOptions, alg, privateKeys[alg], KIDS[alg]);
    },

    unsigned(claims = {}, issueOptions = {}) {
      return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payloadOf(claims, issueOptions))}.`;
    },

    async hmacWithPublicKey(claims = {}, issueOptions = {}) {
      const text = issueOptions.secretForm === 'pem' ? rsaPem : JSON.stringify(publicJwks.RS256);
      return new SignJWT(payloadOf(claims, issueOptions))
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: issueOptions.kid ?? KIDS.RS256 })
        .sign(new TextEncoder().encode(text));
    },

    async signedByUnknownKey(claims = {}, issueOptions = {}) {
      return sign(claims, issueOptions, 'RS256', rogue.privateKey, 'rogue-1');
    },

    expired(claims = {}, issueOptions = {}) {
      return issuer.issue(claims, { issuedAt: -7200, expiresIn: -3600, ...issueOptions });
    },

    notYetValid(claims = {}, issueOptions = {}) {
      return issuer.issue(claims, { notBefore: 3600, expiresIn: 7200, ...issueOptions });
    },

    wrongIssuer(claims = {}, issueOptions = {}) {
      return issuer.issue(claims, { issuer: 'https://evil.example.com', ...issueOptions });
    },

    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  function payloadOf(claims: JWTPayload, issueOptions: IssueOptions): JWTPayload {
    const now = nowSeconds();
    const expiresIn = issueOptions.expiresIn ?? 300;
    const audience = issueOptions.audience ?? issuer.audience;
    return {
      iss: issueOptions.issuer ?? url,
      sub: 'test-agent',
      ...(audience === undefined ? {} : { aud: audience }),
      iat: now + (issueOptions.issuedAt ?? 0),
      ...(typeof expiresIn === 'number' ? { exp: now + expiresIn } : {}),
      ...(issueOptions.notBefore === undefined ? {} : { nbf: now + issueOptions.notBefore }),
      ...claims,
    };
  }

  async function sign(
    claims: JWTPayload,
    issueOptions: IssueOptions,
    alg: IssuerAlgorithm,
    key: CryptoKey,
    kid: string,
  ): Promise<string> {
    const jwt = new SignJWT(payloadOf(claims, issueOptions)).setProtectedHeader({
      alg,
      typ: 'JWT',
      kid: issueOptions.kid ?? kid,
    });
    if (typeof issueOptions.expiresIn === 'string') jwt.setExpirationTime(issueOptions.expiresIn);
    return jwt.sign(key);
  }

  return issuer;
}
