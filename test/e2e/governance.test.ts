import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { createApiKey, type NewApiKey } from '../../shared/auth/api-keys.js';
import { ERROR_META_KEY } from '../../shared/mcp/call-tool.js';
import type { RateLimit } from '../../shared/store/items.js';
import {
  awaitAuditRecords,
  connectClient,
  post,
  sleep,
  startTestCluster,
  type TestCluster,
} from '../helpers/cluster.js';
import { startOidcIssuer, type TestOidcIssuer } from '../helpers/oidc-issuer.js';

const TTL_MS = 300;
const METADATA_PATH = '/.well-known/oauth-protected-resource';

interface ToolFailure {
  code: string;
  message: string;
  retryable: boolean;
  retryAfterSeconds?: number;
}

interface ToolCallBody {
  result?: { isError?: boolean; _meta?: Record<string, ToolFailure | undefined> };
  error?: { code: number; message: string };
}

/** The machine-readable failure of an isError result (in `_meta`: calculate's output schema owns `structuredContent`). */
const failureOf = (body: ToolCallBody) => body.result?._meta?.[ERROR_META_KEY];

/** Runs `tasks` with at most `limit` in flight. */
async function inBatches<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

describe('governance on the local cluster (OAuth, rate limits, audit)', () => {
  let issuer: TestOidcIssuer;

  before(async () => {
    issuer = await startOidcIssuer();
  });
  after(() => issuer?.close());

  /** tools/call over raw HTTP; returns the status, the worker that answered and the JSON-RPC body. */
  async function callTool(url: string, credential: string, name: string, args: Record<string, unknown>) {
    const response = await post(
      url,
      { jsonrpc: '2.0', id: randomUUID(), method: 'tools/call', params: { name, arguments: args } },
      { authorization: `Bearer ${credential}` },
    );
    return {
      status: response.status,
      worker: response.headers.get('x-mcp-cluster-worker'),
      body: (await response.json()) as ToolCallBody,
    };
  }

  const ping = (url: string, credential?: string) =>
    post(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, credential ? { authorization: `Bearer ${credential}` } : {});

  describe('one cluster of two workers, with an OAuth issuer', () => {
    let cluster: TestCluster;
    let audience: string;
    let metadataUrl: string;

    before(async () => {
      cluster = await startTestCluster({
        env: {
          REGISTRY_TTL_MS: String(TTL_MS),
          AUTH_CACHE_TTL_MS: String(TTL_MS),
          OAUTH_ISSUER: issuer.url,
          REQUIRED_SCOPES: '',
        },
      });
      audience = `${cluster.baseUrl}/mcp`;
      metadataUrl = `${cluster.baseUrl}${METADATA_PATH}/mcp`;
      issuer.audience = audience;
    });
    after(() => cluster?.dispose());

    const newKey = async (input: Partial<NewApiKey> = {}) => {
      const agentId = input.agentId ?? `agent-${randomUUID().slice(0, 8)}`;
      const { key } = await createApiKey(
        { client: cluster.dynamodb, tableName: cluster.tableName },
        { scopes: [], ...input, agentId },
      );
      return { agentId, key };
    };

    const setToolRateLimit = (tool: string, limit: RateLimit | undefined) =>
      cluster.dynamodb.send(
        new UpdateItemCommand({
          TableName: cluster.tableName,
          Key: { PK: { S: 'TOOL' }, SK: { S: tool } },
          ...(limit
            ? {
                UpdateExpression: 'SET rateLimit = :limit, version = version + :one',
                ExpressionAttributeValues: {
                  ':limit': {
                    M: { limit: { N: String(limit.limit) }, windowSeconds: { N: String(limit.windowSeconds) } },
                  },
                  ':one': { N: '1' },
                },
              }
            : {
                UpdateExpression: 'REMOVE rateLimit SET version = version + :one',
                ExpressionAttributeValues: { ':one': { N: '1' } },
              }),
        }),
      );

    async function expectProtectedResourceMetadata(url: string) {
      const response = await fetch(url);
      assert.equal(response.status, 200, `GET ${url}`);
      const body = (await response.json()) as {
        resource: string;
        authorization_servers: string[];
        scopes_supported: string[];
        bearer_methods_supported: string[];
      };
      assert.equal(body.resource, audience);
      assert.deepEqual(body.authorization_servers, [issuer.url]);
      assert.deepEqual(body.bearer_methods_supported, ['header']);
      assert.ok(body.scopes_supported.includes('weather:read'), JSON.stringify(body.scopes_supported));
      assert.ok(body.scopes_supported.includes('users:admin'), JSON.stringify(body.scopes_supported));
    }

    it('serves the protected-resource metadata (RFC 9728) of /mcp', async () => {
      await expectProtectedResourceMetadata(metadataUrl);
    });

    it('serves the same metadata at the well-known path without /mcp', async () => {
      await expectProtectedResourceMetadata(`${cluster.baseUrl}${METADATA_PATH}`);
    });

    it('answers a request without credentials with 401 pointing at the metadata', async () => {
      const response = await ping(cluster.url);
      assert.equal(response.status, 401);
      const challenge = response.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer /);
      assert.ok(challenge.includes(`resource_metadata="${metadataUrl}"`), challenge);
    });

    it('lists exactly the tools a weather:read token allows, and calls the weather tool with it', async () => {
      const { Items = [] } = await cluster.dynamodb.send(
        new QueryCommand({
          TableName: cluster.tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'TOOL' } },
        }),
      );
      const granted = new Set(['weather:read']);
      const expected = Items.map((raw) => unmarshall(raw))
        .filter((item) => !(item.SK as string).includes(':')) // tools only: not the resources' and prompts' manifests
        .filter((item) => item.enabled !== false)
        .filter((item) => ((item.scopes ?? item.defaultScopes ?? []) as string[]).every((s) => granted.has(s)))
        .map((item) => item.SK as string)
        .sort();
      assert.ok(expected.includes('get_weather_forecast'));
      assert.ok(!expected.includes('delete_user_account'));

      const token = await issuer.issue({ sub: 'weather-agent', scope: 'weather:read' });
      const { client, workers } = await connectClient(cluster.url, token);
      try {
        const listed = (await client.listTools()).tools.map((t) => t.name).sort();
        assert.deepEqual(listed, expected);
        const forecast = await client.callTool({ name: 'get_weather_forecast', arguments: { city: 'Oslo', days: 2 } });
        assert.equal(forecast.isError, undefined, JSON.stringify(forecast));
        assert.ok(forecast.structuredContent, 'the forecast is structured');
        assert.equal(new Set(workers).size, 2, 'the token was accepted by both workers');
      } finally {
        await client.close();
      }
    });

    async function expectInvalidToken(token: string, what: string) {
      const response = await ping(cluster.url, token);
      assert.equal(response.status, 401, what);
      const challenge = response.headers.get('www-authenticate') ?? '';
      assert.ok(challenge.includes('error="invalid_token"'), `${what}: ${challenge}`);
      assert.ok(challenge.includes(`resource_metadata="${metadataUrl}"`), `${what}: ${challenge}`);
    }

    it('refuses a token issued for another audience with 401 invalid_token', async () => {
      await expectInvalidToken(
        await issuer.issue({ sub: 'elsewhere' }, { audience: 'https://other.example.com/mcp' }),
        'wrong audience',
      );
    });

    it('refuses an expired token with 401 invalid_token', async () => {
      await expectInvalidToken(await issuer.expired({ sub: 'late' }), 'expired');
    });

    it('refuses an unsigned (alg: none) token with 401 invalid_token', async () => {
      await expectInvalidToken(issuer.unsigned({ sub: 'intruder', scope: '*' }), 'alg none');
    });

    it('refuses key-confusion, unknown-key, wrong-issuer and not-yet-valid tokens with 401 invalid_token', async () => {
      await expectInvalidToken(await issuer.hmacWithPublicKey({ sub: 'intruder', scope: '*' }), 'HS256 with RSA key');
      await expectInvalidToken(await issuer.signedByUnknownKey({ sub: 'intruder' }), 'unknown key');
      await expectInvalidToken(await issuer.wrongIssuer({ sub: 'intruder' }), 'wrong issuer');
      await expectInvalidToken(await issuer.notYetValid({ sub: 'early' }), 'nbf in the future');
    });

    it("records a delegated token's call in the audit table with its agent and the user it acts for", async () => {
      const since = new Date(Date.now() - 1000).toISOString();
      const agentId = `agent-7-${randomUUID().slice(0, 8)}`;
      const token = await issuer.issue({ sub: 'user-42', act: { sub: agentId }, jti: 'delegated-1' }, { alg: 'ES256' });
      const { client } = await connectClient(cluster.url, token);
      try {
        const result = await client.callTool({ name: 'calculate', arguments: { expression: '6*7' } });
        assert.deepEqual(result.structuredContent, { expression: '6*7', result: 42 });
      } finally {
        await client.close();
      }
      const records = await awaitAuditRecords(cluster, { agentId, since }, 1);
      assert.equal(records.length, 1);
      const [record] = records;
      assert.equal(record?.agentId, agentId);
      assert.equal(record?.onBehalfOf, 'user-42');
      assert.equal(record?.tool, 'calculate');
      assert.equal(record?.outcome, 'success');
      assert.equal(record?.credentialId, 'jwt:delegated-1');
    });

    it("holds a tool's rate limit exactly across both workers: 5 of 12 concurrent calls", async () => {
      const { key } = await newKey();
      await setToolRateLimit('calculate', { limit: 5, windowSeconds: 3600 });
      try {
        await sleep(TTL_MS + 100);
        const calls = await Promise.all(
          Array.from({ length: 12 }, (_, i) => callTool(cluster.url, key, 'calculate', { expression: `${i}+1` })),
        );
        assert.ok(calls.every((c) => c.status === 200));
        assert.deepEqual(new Set(calls.map((c) => c.worker)), new Set(['0', '1']), 'both workers answered');
        const allowed = calls.filter((c) => c.body.result && !c.body.result.isError);
        const refused = calls.filter((c) => c.body.result?.isError);
        assert.equal(allowed.length, 5);
        assert.equal(refused.length, 7);
        for (const { body } of refused) {
          const error = failureOf(body);
          assert.equal(error?.code, 'RATE_LIMITED');
          assert.equal(error?.retryable, true);
          assert.ok(
            error?.retryAfterSeconds && error.retryAfterSeconds > 0 && error.retryAfterSeconds <= 3600,
            JSON.stringify(error),
          );
        }
      } finally {
        await setToolRateLimit('calculate', undefined);
        await sleep(TTL_MS + 100);
      }
    });

    it("holds a key's own rate limit across tools: 3 calls, then RATE_LIMITED", async () => {
      const { key } = await newKey({ rateLimit: { limit: 3, windowSeconds: 3600 } });
      const plan: [string, Record<string, unknown>][] = [
        ['calculate', { expression: '1+1' }],
        ['get_current_time', { timezone: 'Europe/Oslo' }],
        ['calculate', { expression: '2+2' }],
        ['get_current_time', {}],
        ['calculate', { expression: '3+3' }],
      ];
      const outcomes: string[] = [];
      const workers = new Set<string | null>();
      for (const [name, args] of plan) {
        const { body, worker } = await callTool(cluster.url, key, name, args);
        workers.add(worker);
        outcomes.push(body.result?.isError ? (failureOf(body)?.code ?? 'error') : 'ok');
      }
      assert.deepEqual(outcomes, ['ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED']);
      assert.equal(workers.size, 2);
    });

    it('writes exactly one audit record per call under concurrency: 500 calls, 500 records', async () => {
      const since = new Date(Date.now() - 1000).toISOString();
      const { agentId, key } = await newKey();
      const calls = await inBatches(500, 50, (i) => callTool(cluster.url, key, 'calculate', { expression: `${i}*2` }));
      assert.equal(calls.filter((c) => c.status === 200 && c.body.result && !c.body.result.isError).length, 500);
      assert.equal(new Set(calls.map((c) => c.worker)).size, 2);
      const records = await awaitAuditRecords(cluster, { agentId, since }, 500);
      assert.equal(records.length, 500);
      assert.ok(records.every((r) => r.outcome === 'success' && r.tool === 'calculate'));
      assert.equal(new Set(records.map((r) => r.requestId)).size, 500, 'one record per request');
    });
  });

  describe('a cluster that requires a scope of every caller', () => {
    let cluster: TestCluster;

    before(async () => {
      cluster = await startTestCluster({
        env: {
          REGISTRY_TTL_MS: String(TTL_MS),
          AUTH_CACHE_TTL_MS: String(TTL_MS),
          OAUTH_ISSUER: issuer.url,
          REQUIRED_SCOPES: 'mcp:use',
        },
      });
      issuer.audience = `${cluster.baseUrl}/mcp`;
    });
    after(() => cluster?.dispose());

    const keyWith = async (scopes: string[]) =>
      (
        await createApiKey(
          { client: cluster.dynamodb, tableName: cluster.tableName },
          { agentId: `agent-${randomUUID().slice(0, 8)}`, scopes },
        )
      ).key;

    it('answers a valid key without the scope with 403 insufficient_scope naming it and the granted scope', async () => {
      const response = await ping(cluster.url, await keyWith(['weather:read']));
      assert.equal(response.status, 403);
      const challenge = response.headers.get('www-authenticate') ?? '';
      assert.ok(challenge.includes('error="insufficient_scope"'), challenge);
      assert.ok(challenge.includes('scope="mcp:use weather:read"'), challenge);
      assert.ok(challenge.includes(`resource_metadata="${cluster.baseUrl}${METADATA_PATH}/mcp"`), challenge);

      const unauthenticated = await ping(cluster.url);
      assert.equal(unauthenticated.status, 401);
      assert.ok(
        (unauthenticated.headers.get('www-authenticate') ?? '').includes('scope="mcp:use weather:read"'),
        "the required scope and the read-only tools' scope",
      );
    });

    it('lets keys and tokens that hold the scope in', async () => {
      assert.equal((await ping(cluster.url, await keyWith(['mcp:use']))).status, 200);
      assert.equal((await ping(cluster.url, cluster.apiKey)).status, 200, 'the dev key holds every scope');
      const withScope = await issuer.issue({ sub: 'scoped-agent', scope: 'mcp:use weather:read' });
      assert.equal((await ping(cluster.url, withScope)).status, 200);
      const withoutScope = await issuer.issue({ sub: 'unscoped-agent', scope: 'weather:read' });
      const refused = await ping(cluster.url, withoutScope);
      assert.equal(refused.status, 403);
      assert.ok((refused.headers.get('www-authenticate') ?? '').includes('error="insufficient_scope"'));
    });
  });
});
