import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { createApiKey } from '../../shared/auth/api-keys.js';
import { loadConfig } from '../../shared/config/config.js';
import { createMcpApp } from '../../shared/mcp/app.js';
import type { McpEndpoint } from '../../shared/mcp/endpoint.js';
import type { HttpResponse } from '../../shared/mcp/http-types.js';
import { defineTool } from '../../shared/tools/define-tool.js';
import { captureLogs, type LocalAws, startLocalAws } from '../helpers/aws.js';
import { startOidcIssuer, type TestOidcIssuer } from '../helpers/oidc-issuer.js';

const BASE = 'https://mcp.example.com';
const METADATA_PATH = '/.well-known/oauth-protected-resource/mcp';

const forecast = defineTool({
  name: 'forecast',
  description: 'Reads a forecast.',
  input: z.object({}),
  scopes: ['weather:read'],
  annotations: { readOnlyHint: true },
  run: async () => 'sunny',
});
const deleteUser = defineTool({
  name: 'delete_user',
  description: 'Deletes a user.',
  input: z.object({}),
  scopes: ['users:admin'],
  annotations: { destructiveHint: true },
  run: async () => 'deleted',
});
const clock = defineTool({
  name: 'clock',
  description: 'Tells the time.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async () => 'noon',
});

function send(endpoint: McpEndpoint, options: { credential?: string; path?: string; method?: string } = {}) {
  return endpoint({
    method: options.method ?? 'POST',
    path: options.path ?? '/mcp',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(options.credential ? { authorization: `Bearer ${options.credential}` } : {}),
    },
    body: options.method === 'GET' ? undefined : JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
    requestId: randomUUID(),
    remainingMs: () => 30_000,
  });
}

const challengeOf = (response: HttpResponse) => response.headers['www-authenticate'] ?? '';
const messageOf = (response: HttpResponse) =>
  (JSON.parse(response.body) as { error?: { message: string } }).error?.message;

describe('what a refused request tells its client (challenges and protected-resource metadata)', () => {
  let aws: LocalAws;
  let tableName: string;
  let issuer: TestOidcIssuer;

  const app = (env: Record<string, string>, logs = captureLogs()) =>
    createMcpApp({
      config: loadConfig({ REGISTRY_TABLE_NAME: tableName, PUBLIC_BASE_URL: BASE, ...env }),
      dynamodb: aws.dynamodb,
      secretsManager: aws.secretsManager,
      codeTools: [forecast, deleteUser, clock],
      logger: logs.logger,
    });

  before(async () => {
    aws = await startLocalAws();
    tableName = await aws.createTable();
    issuer = await startOidcIssuer({ audience: `${BASE}/mcp` });
  });
  after(async () => {
    await issuer?.close();
    await aws?.stop();
  });

  describe('with API keys only (no OAUTH_ISSUER)', () => {
    it('answers a request without a credential with 401 and a plain Bearer challenge, pointing at no metadata', async () => {
      const response = await send(app({}));
      assert.equal(response.statusCode, 401);
      assert.equal(challengeOf(response), 'Bearer realm="mcp-cluster"');
    });

    it('answers 404 for the protected-resource metadata, saying the endpoint takes API keys', async () => {
      const endpoint = app({});
      for (const path of [METADATA_PATH, '/.well-known/oauth-protected-resource']) {
        const response = await send(endpoint, { path, method: 'GET' });
        assert.equal(response.statusCode, 404, path);
        assert.match(JSON.parse(response.body).error_description, /accepts API keys only/);
      }
    });

    it('answers a refused key with 403 and the reason in the body, with no challenge that starts an OAuth sign-in', async () => {
      const response = await send(app({}), { credential: `mcpk_${'Q'.repeat(43)}` });
      assert.equal(response.statusCode, 403);
      assert.equal(response.headers['www-authenticate'], undefined);
      assert.equal(messageOf(response), 'The API key is invalid, expired or revoked.');
    });

    it('answers a key without the required scopes with 403 naming them, and no insufficient_scope challenge', async () => {
      const { key } = await createApiKey(
        { client: aws.dynamodb, tableName },
        { agentId: 'a', scopes: ['weather:read'] },
      );
      const response = await send(app({ REQUIRED_SCOPES: 'mcp:use' }), { credential: key });
      assert.equal(response.statusCode, 403);
      assert.equal(response.headers['www-authenticate'], undefined);
      assert.match(messageOf(response) ?? '', /mcp:use/);
    });
  });

  describe('with an OAuth issuer', () => {
    it('names the scopes of the read-only tools in the 401 challenge, not those of a destructive tool', async () => {
      const response = await send(app({ OAUTH_ISSUER: issuer.url }));
      assert.equal(response.statusCode, 401);
      assert.equal(challengeOf(response), `Bearer resource_metadata="${BASE}${METADATA_PATH}", scope="weather:read"`);
    });

    it('answers a GET without a credential with the same 401 challenge (how OAuth clients probe), and 405 with one', async () => {
      const endpoint = app({ OAUTH_ISSUER: issuer.url });
      const probe = await send(endpoint, { method: 'GET' });
      assert.equal(probe.statusCode, 401);
      assert.match(challengeOf(probe), /scope="weather:read"/);
      const withCredential = await send(endpoint, { method: 'GET', credential: await issuer.issue() });
      assert.equal(withCredential.statusCode, 405);
      assert.equal((await send(app({}), { method: 'GET' })).statusCode, 405, 'API keys only: 405 at once');
    });

    it('names the required scopes and OAUTH_DEFAULT_SCOPES instead when they are set', async () => {
      const endpoint = app({
        OAUTH_ISSUER: issuer.url,
        REQUIRED_SCOPES: 'mcp:use',
        OAUTH_DEFAULT_SCOPES: 'users:admin',
      });
      const response = await send(endpoint, { credential: await issuer.expired({ scope: 'mcp:use' }) });
      assert.equal(response.statusCode, 401);
      assert.match(challengeOf(response), /, scope="mcp:use users:admin", error="invalid_token"/);
    });

    it('lists every enabled tool scope and the required ones in scopes_supported', async () => {
      const response = await send(app({ OAUTH_ISSUER: issuer.url, REQUIRED_SCOPES: 'mcp:use' }), {
        path: METADATA_PATH,
        method: 'GET',
      });
      assert.equal(response.statusCode, 200);
      const metadata = JSON.parse(response.body);
      assert.deepEqual(metadata.scopes_supported, ['mcp:use', 'users:admin', 'weather:read']);
      assert.deepEqual(metadata.authorization_servers, [issuer.url]);
      assert.equal(metadata.resource, `${BASE}/mcp`);
    });

    it('asks, on 403 insufficient_scope, for the missing scopes and the granted ones this resource uses', async () => {
      const endpoint = app({ OAUTH_ISSUER: issuer.url, REQUIRED_SCOPES: 'mcp:use' });
      const token = await issuer.issue({ scope: 'weather:read openid' });
      const response = await send(endpoint, { credential: token });
      assert.equal(response.statusCode, 403);
      assert.match(challengeOf(response), /scope="mcp:use weather:read", error="insufficient_scope"/);
    });

    it('accepts tokens when OAUTH_ISSUER has a trailing slash the issuer does not publish', async () => {
      const response = await send(app({ OAUTH_ISSUER: `${issuer.url}/` }), {
        credential: await issuer.issue({ scope: 'weather:read' }),
      });
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(
        JSON.parse(response.body).result.tools.map((tool: { name: string }) => tool.name),
        ['clock', 'forecast'],
      );
    });

    it('answers 500, not a retry-soon 503, when the issuer has no metadata where OAUTH_ISSUER says, and logs each URL with its status', async () => {
      const logs = captureLogs();
      const response = await send(app({ OAUTH_ISSUER: `${issuer.url}/tenant-a` }, logs), {
        credential: await issuer.issue(),
      });
      assert.equal(response.statusCode, 500);
      assert.equal(response.headers['retry-after'], undefined);
      assert.match(messageOf(response) ?? '', /OAUTH_ISSUER setting does not match the authorization server/);
      const logged = logs.lines.join('\n');
      assert.match(logged, /OAuth is misconfigured/);
      assert.ok(logged.includes(`${issuer.url}/.well-known/oauth-authorization-server/tenant-a`), logged);
      assert.match(logged, /"status":404/);
    });

    it('answers 503 with Retry-After while the issuer cannot be reached, logging the URL', async () => {
      const logs = captureLogs();
      const response = await send(app({ OAUTH_ISSUER: 'http://127.0.0.1:9' }, logs), {
        credential: await issuer.issue(),
      });
      assert.equal(response.statusCode, 503);
      assert.ok(response.headers['retry-after']);
      assert.ok(logs.lines.join('\n').includes('http://127.0.0.1:9/.well-known/openid-configuration'));
    });
  });
});
