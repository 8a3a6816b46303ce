import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey, createApiKeyVerifier } from '../../shared/auth/api-keys.js';
import { createAuthenticator } from '../../shared/auth/authenticate.js';
import { createJwtVerifier, type JwtVerifier, type JwtVerifierOptions } from '../../shared/auth/jwt.js';
import { loadConfig } from '../../shared/config/config.js';
import { errorCode } from '../../shared/errors/errors.js';
import { createMcpApp } from '../../shared/mcp/app.js';
import { closedPortUrl, type LocalAws, silentLogger, startLocalAws } from '../helpers/aws.js';
import { postMcp } from '../helpers/endpoint.js';
import { JWKS_PATH, OPENID_CONFIGURATION_PATH, startOidcIssuer, type TestOidcIssuer } from '../helpers/oidc-issuer.js';

const AUDIENCE = 'https://mcp.example.com/mcp';

/** An AuthError refusing the token itself (401 invalid_token), decided on `code` and `reason`. */
function isInvalidToken(pattern?: RegExp) {
  return (error: unknown) => {
    assert.equal(errorCode(error), 'UNAUTHENTICATED', `expected an AuthError, got ${String(error)}`);
    assert.equal((error as { reason?: string }).reason, 'invalid_token');
    if (pattern) assert.match((error as Error).message, pattern);
    return true;
  };
}

describe('JWT bearer tokens (jose, against a local OIDC issuer)', () => {
  let issuer: TestOidcIssuer;
  let verifier: JwtVerifier;

  const newVerifier = (overrides: Partial<JwtVerifierOptions> = {}) =>
    createJwtVerifier({
      issuer: issuer.url,
      audience: AUDIENCE,
      algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
      tenantClaim: 'org',
      logger: silentLogger,
      ...overrides,
    });

  before(async () => {
    issuer = await startOidcIssuer({ audience: AUDIENCE });
    verifier = newVerifier();
  });
  after(() => issuer?.close());

  it('accepts a valid RS256 token and reads agent, tenant and scopes from its claims', async () => {
    const token = await issuer.issue({
      sub: 'agent-rs',
      org: 'acme',
      scope: 'weather:read users:admin',
      jti: 'tok-1',
    });
    const principal = await verifier.verify(token);
    assert.deepEqual(principal, {
      agentId: 'agent-rs',
      tenant: 'acme',
      scopes: ['weather:read', 'users:admin'],
      method: 'jwt',
      credentialId: 'jwt:tok-1',
    });
  });

  it('accepts a valid ES256 token whose scopes are an `scp` array', async () => {
    const token = await issuer.issue({ sub: 'agent-ec', scp: ['weather:read', 'calc'] }, { alg: 'ES256' });
    const principal = await verifier.verify(token);
    assert.equal(principal.agentId, 'agent-ec');
    assert.equal(principal.tenant, 'default', 'no tenant claim: the default tenant');
    assert.deepEqual(principal.scopes, ['weather:read', 'calc']);
    assert.equal(principal.onBehalfOf, undefined);
  });

  it('discovers the JWKS from openid-configuration and fetches it once across many verifications', async () => {
    const discoveryBefore = issuer.count(OPENID_CONFIGURATION_PATH);
    const jwksBefore = issuer.count(JWKS_PATH);
    const fresh = newVerifier();
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) => issuer.issue({ sub: `agent-${i}` }, { alg: i % 2 ? 'ES256' : 'RS256' })),
    );
    // Concurrent first uses share one discovery and one JWKS fetch; later ones use the cached keys.
    const first = await Promise.all(tokens.slice(0, 10).map((token) => fresh.verify(token)));
    for (const token of tokens.slice(10)) await fresh.verify(token);
    assert.deepEqual(
      first.map((p) => p.agentId),
      Array.from({ length: 10 }, (_, i) => `agent-${i}`),
    );
    assert.equal(issuer.count(OPENID_CONFIGURATION_PATH) - discoveryBefore, 1);
    assert.equal(issuer.count(JWKS_PATH) - jwksBefore, 1);
  });

  it('uses a configured jwksUri without asking for the discovery document', async () => {
    const discoveryBefore = issuer.count(OPENID_CONFIGURATION_PATH);
    const direct = newVerifier({ jwksUri: issuer.jwksUri });
    const principal = await direct.verify(await issuer.issue({ sub: 'direct' }));
    assert.equal(principal.agentId, 'direct');
    assert.equal(issuer.count(OPENID_CONFIGURATION_PATH), discoveryBefore);
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const token = issuer.unsigned({ sub: 'intruder', scope: '*' });
    assert.equal(token.split('.')[2], '', 'the signature part is empty');
    await assert.rejects(verifier.verify(token), isInvalidToken());
  });

  it('refuses HS256 tokens whose HMAC secret is the RSA public key (key confusion), as JWK and as PEM', async () => {
    for (const secretForm of ['jwk', 'pem'] as const) {
      const token = await issuer.hmacWithPublicKey({ sub: 'intruder', scope: '*' }, { secretForm });
      await assert.rejects(verifier.verify(token), isInvalidToken(/algorithm/), secretForm);
    }
  });

  it('refuses a token signed by a key that is not in the JWKS, with an unknown kid or a known one', async () => {
    await assert.rejects(verifier.verify(await issuer.signedByUnknownKey({ sub: 'intruder' })), isInvalidToken());
    await assert.rejects(
      verifier.verify(await issuer.signedByUnknownKey({ sub: 'intruder' }, { kid: 'rsa-1' })),
      isInvalidToken(),
    );
  });

  it('refuses an expired token', async () => {
    await assert.rejects(verifier.verify(await issuer.expired({ sub: 'late' })), isInvalidToken(/expired/));
  });

  it('refuses a token that is not valid yet (nbf in the future)', async () => {
    await assert.rejects(verifier.verify(await issuer.notYetValid({ sub: 'early' })), isInvalidToken());
  });

  it('refuses a token issued for another audience, and says it is the audience', async () => {
    const token = await issuer.issue({ sub: 'elsewhere' }, { audience: 'https://other.example.com/mcp' });
    await assert.rejects(verifier.verify(token), isInvalidToken(/audience/));
  });

  it('refuses a correctly signed token that names another issuer', async () => {
    await assert.rejects(verifier.verify(await issuer.wrongIssuer({ sub: 'elsewhere' })), isInvalidToken());
  });

  it('makes the actor of a delegated token (RFC 8693 `act`) the agent, acting on behalf of `sub`', async () => {
    const token = await issuer.issue({ sub: 'user-42', act: { sub: 'agent-7' }, scope: 'weather:read' });
    const principal = await verifier.verify(token);
    assert.equal(principal.agentId, 'agent-7');
    assert.equal(principal.onBehalfOf, 'user-42');
    assert.deepEqual(principal.scopes, ['weather:read']);
  });

  it('makes the client the agent when client_id differs from sub, and not when they are equal', async () => {
    const delegated = await verifier.verify(await issuer.issue({ sub: 'user-9', client_id: 'travel-agent' }));
    assert.equal(delegated.agentId, 'travel-agent');
    assert.equal(delegated.onBehalfOf, 'user-9');

    const own = await verifier.verify(await issuer.issue({ sub: 'batch-job', client_id: 'batch-job' }));
    assert.equal(own.agentId, 'batch-job');
    assert.equal(own.onBehalfOf, undefined);
  });

  it('reports an issuer that is down at first use as an outage (not AuthError), and recovers when it is back', async () => {
    const downUrl = await closedPortUrl();
    const down = createJwtVerifier({
      issuer: downUrl,
      audience: AUDIENCE,
      algorithms: ['RS256'],
      tenantClaim: 'tenant',
      logger: silentLogger,
    });
    const token = await issuer.issue({ sub: 'patient' }, { issuer: downUrl });
    await assert.rejects(down.verify(token), (error: unknown) => {
      assert.equal(errorCode(error), undefined, `expected an outage, got ${String(error)}`);
      assert.ok(error instanceof Error);
      return true;
    });

    const back = await startOidcIssuer({ audience: AUDIENCE, port: Number(new URL(downUrl).port) });
    try {
      const principal = await down.verify(await back.issue({ sub: 'patient' }));
      assert.equal(principal.agentId, 'patient', 'discovery is retried on the next token');
    } finally {
      await back.close();
    }
  });

  it('reports a JWKS endpoint answering 500 as an outage, not as a bad token', async () => {
    const outage = newVerifier();
    issuer.jwksStatus = 500;
    try {
      await assert.rejects(outage.verify(await issuer.issue({ sub: 'patient' })), (error: unknown) => {
        assert.equal(errorCode(error), undefined, `expected an outage, got ${String(error)}`);
        return true;
      });
    } finally {
      issuer.jwksStatus = 200;
    }
  });

  describe('with the endpoint and API keys (dynalite)', () => {
    let aws: LocalAws;
    let tableName: string;

    before(async () => {
      aws = await startLocalAws();
      tableName = await aws.createTable();
    });
    after(() => aws?.stop());

    it('answers 503 with Retry-After, not 401, while the issuer cannot be reached', async () => {
      const downUrl = await closedPortUrl();
      const endpoint = createMcpApp({
        config: loadConfig({
          REGISTRY_TABLE_NAME: tableName,
          PUBLIC_BASE_URL: 'https://mcp.example.com',
          OAUTH_ISSUER: downUrl,
        }),
        dynamodb: aws.dynamodb,
        secretsManager: aws.secretsManager,
        codeTools: [],
        logger: silentLogger,
      });
      const token = await issuer.issue({ sub: 'agent-1' }, { issuer: downUrl, audience: AUDIENCE });
      const response = await postMcp(endpoint, token, { jsonrpc: '2.0', id: 1, method: 'ping' });
      assert.equal(response.statusCode, 503, response.body);
      assert.ok(response.headers['retry-after']);
      assert.equal(response.headers['www-authenticate'], undefined);
    });

    it('routes mcpk_ keys to the API keys, JWT-shaped tokens to the JWT verifier, and refuses anything else', async () => {
      const apiKeys = createApiKeyVerifier({ client: aws.dynamodb, tableName, ttlMs: 1_000, logger: silentLogger });
      const { key } = await createApiKey(
        { client: aws.dynamodb, tableName },
        { agentId: 'key-agent', scopes: ['calc'] },
      );
      const authenticator = createAuthenticator({ apiKeys, jwt: verifier });
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

      const byKey = await authenticator.authenticate(bearer(key));
      assert.equal(byKey.method, 'api-key');
      assert.equal(byKey.agentId, 'key-agent');

      const byJwt = await authenticator.authenticate(bearer(await issuer.issue({ sub: 'jwt-agent' })));
      assert.equal(byJwt.method, 'jwt');
      assert.equal(byJwt.agentId, 'jwt-agent');

      await assert.rejects(authenticator.authenticate(bearer('opaque-token-0123456789')), isInvalidToken());
      await assert.rejects(authenticator.authenticate(bearer(`mcpk_${'x'.repeat(43)}`)), isInvalidToken());
      await assert.rejects(authenticator.authenticate({}), (error: unknown) => {
        assert.equal((error as { reason?: string }).reason, 'invalid_request');
        return true;
      });

      const keysOnly = createAuthenticator({ apiKeys });
      await assert.rejects(
        keysOnly.authenticate(bearer(await issuer.issue({ sub: 'jwt-agent' }))),
        isInvalidToken(),
        'without an issuer configured, a JWT is just an unknown token',
      );
    });
  });
});
