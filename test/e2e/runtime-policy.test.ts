import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { McpError } from '@modelcontextprotocol/sdk/types.js';
import { createApiKey, hashApiKey } from '../../shared/auth/api-keys.js';
import { apiKeyPartition } from '../../shared/store/api-keys.js';
import { connectClient, post, sleep, startTestCluster, type TestCluster } from '../helpers/cluster.js';

const TTL_MS = 400;

describe('runtime policy from DynamoDB, on every worker', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startTestCluster({
      env: { REGISTRY_TTL_MS: String(TTL_MS), AUTH_CACHE_TTL_MS: String(TTL_MS), SECRETS_TTL_MS: String(TTL_MS) },
    });
  });

  after(async () => {
    await cluster?.dispose();
  });

  const setEnabled = (tool: string, enabled: boolean) =>
    cluster.dynamodb.send(
      new UpdateItemCommand({
        TableName: cluster.tableName,
        Key: { PK: { S: 'TOOL' }, SK: { S: tool } },
        UpdateExpression: 'SET enabled = :enabled, version = version + :one',
        ExpressionAttributeValues: { ':enabled': { BOOL: enabled }, ':one': { N: '1' } },
      }),
    );

  /** tools/list as seen by each of the two workers (consecutive requests alternate between them). */
  async function listOnEachWorker(apiKey: string): Promise<Map<string, string[]>> {
    const seen = new Map<string, string[]>();
    for (let i = 0; i < 4 && seen.size < 2; i++) {
      const response = await post(
        cluster.url,
        { jsonrpc: '2.0', id: i, method: 'tools/list' },
        { authorization: `Bearer ${apiKey}` },
      );
      const body = (await response.json()) as { result: { tools: { name: string }[] } };
      seen.set(response.headers.get('x-mcp-cluster-worker') ?? '?', body.result.tools.map((t) => t.name).sort());
    }
    return seen;
  }

  it('drops a tool disabled in DynamoDB from tools/list on every worker within one TTL, and refuses calls to it', async () => {
    const before = await listOnEachWorker(cluster.apiKey);
    assert.equal(before.size, 2);
    for (const names of before.values()) assert.ok(names.includes('calculate'));

    await setEnabled('calculate', false);
    await sleep(TTL_MS + 100);
    const afterDisable = await listOnEachWorker(cluster.apiKey);
    assert.equal(afterDisable.size, 2);
    for (const names of afterDisable.values()) assert.ok(!names.includes('calculate'));

    const { client } = await connectClient(cluster.url, cluster.apiKey);
    try {
      for (let i = 0; i < 2; i++) {
        await assert.rejects(
          client.callTool({ name: 'calculate', arguments: { expression: '1+1' } }),
          (error: McpError) => error.code === -32602,
        );
      }
      await setEnabled('calculate', true);
      await sleep(TTL_MS + 100);
      const result = await client.callTool({ name: 'calculate', arguments: { expression: '1+1' } });
      assert.deepEqual(result.structuredContent, { expression: '1+1', result: 2 });
    } finally {
      await client.close();
    }
  });

  it('shows a weather-only key the weather tool and not the destructive one', async () => {
    const { key } = await createApiKey(
      { client: cluster.dynamodb, tableName: cluster.tableName },
      { agentId: 'weather-bot', scopes: ['weather:read'] },
    );
    const { client } = await connectClient(cluster.url, key);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('get_weather_forecast'));
      assert.ok(!names.includes('delete_user_account'));
      const forecast = await client.callTool({ name: 'get_weather_forecast', arguments: { city: 'Oslo' } });
      assert.equal(forecast.isError, undefined);
      await assert.rejects(
        client.callTool({
          name: 'delete_user_account',
          arguments: { userId: 'u-1002', reason: 'not allowed to do this' },
        }),
        (error: McpError) => error.code === -32602 && /Unknown tool/.test(error.message),
        'a tool the caller may not see is answered exactly like an unknown one',
      );
    } finally {
      await client.close();
    }
  });

  it('stops accepting a revoked key on every worker within one cache TTL', async () => {
    const { key } = await createApiKey(
      { client: cluster.dynamodb, tableName: cluster.tableName },
      { agentId: 'short-lived', scopes: [] },
    );
    const ping = (id: number) =>
      post(cluster.url, { jsonrpc: '2.0', id, method: 'ping' }, { authorization: `Bearer ${key}` });
    assert.equal((await ping(1)).status, 200);
    assert.equal((await ping(2)).status, 200);
    await cluster.dynamodb.send(
      new UpdateItemCommand({
        TableName: cluster.tableName,
        Key: { PK: { S: apiKeyPartition(hashApiKey(key)) }, SK: { S: 'APIKEY' } },
        UpdateExpression: 'SET revokedAt = :now',
        ExpressionAttributeValues: { ':now': { S: new Date().toISOString() } },
      }),
    );
    await sleep(TTL_MS + 100);
    // API keys only: a refused key is final (403), not a call to sign in.
    assert.equal((await ping(3)).status, 403);
    assert.equal((await ping(4)).status, 403);
  });

  it('never lets a secret value reach a response, a log line, an error or a stored record', async () => {
    const canary = `canary-${Math.random().toString(36).slice(2)}-do-not-leak`;
    // The weather secret now holds a key the upstream rejects: the tool fails with an auth error that must not echo it.
    await cluster.secretsManager.send(
      new PutSecretValueCommand({
        SecretId: `${cluster.secretsPrefix}weather-api`,
        SecretString: JSON.stringify({ apiKey: canary, baseUrl: `${cluster.baseUrl.replace(/:\d+$/, ':1')}/nowhere` }),
      }),
    );
    await sleep(TTL_MS + 100);
    const dev = await connectClient(cluster.url, cluster.apiKey);
    try {
      for (const city of ['Paris', 'Atlantis', 'Rome']) {
        const result = await dev.client.callTool({ name: 'get_weather_forecast', arguments: { city } });
        assert.equal(result.isError, true);
      }
      const tooLong = await dev.client.callTool({
        name: 'get_weather_forecast',
        arguments: { city: canary.repeat(10) },
      });
      assert.equal(tooLong.isError, true);
    } finally {
      await dev.client.close();
    }
    await sleep(200); // let the workers' last log lines arrive
    const stored = await cluster.dynamodb.send(new ScanCommand({ TableName: cluster.tableName }));
    const haystacks = {
      responses: dev.bodies.join('\n'),
      logs: cluster.logs.join('\n'),
      stored: JSON.stringify(stored.Items),
    };
    for (const [where, text] of Object.entries(haystacks)) {
      assert.ok(!text.includes(canary), `the canary appears in ${where}`);
    }
    assert.ok(
      cluster.logs.some((line) => line.includes('"tool call"')),
      'the calls were logged (audit lines)',
    );
  });
});
