import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { discoverToolFolders, ITEM_KINDS } from '../../infra/build/tool-index.js';
import { createApiKey } from '../../shared/auth/api-keys.js';
import { toolNameForFolder } from '../../shared/tools/naming.js';
import { awaitAuditRecords, connectClient, startTestCluster, type TestCluster } from '../helpers/cluster.js';

const MODERN = '2026-07-28';
const PROFILE_TEMPLATE = 'directory://users/{userId}';

/** The v2 SDK's client pinned to 2026-07-28: stateless requests, `_meta` and routing headers on each. */
async function connectModern(url: string, apiKey: string): Promise<Client> {
  const client = new Client(
    { name: 'e2e-modern', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: MODERN } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${apiKey}` } },
    }),
  );
  return client;
}

const textOf = (contents: unknown[]) => (contents[0] as { text: string }).text;

describe('resources, prompts and completions on the local cluster, through real clients in both eras', () => {
  let cluster: TestCluster;
  let weatherKey: string;

  before(async () => {
    cluster = await startTestCluster();
    const issued = await createApiKey(
      { client: cluster.dynamodb, tableName: cluster.tableName },
      { agentId: 'weather-only', scopes: ['weather:read'] },
    );
    weatherKey = issued.key;
  });
  after(() => cluster?.dispose());

  it('serves one resource for every folder under functions/resources, one prompt for every folder under functions/prompts', async () => {
    const { client } = await connectClient(cluster.url, cluster.apiKey);
    try {
      const served = [
        ...(await client.listResources()).resources.map((r) => r.name),
        ...(await client.listResourceTemplates()).resourceTemplates.map((t) => t.name),
      ].sort();
      assert.deepEqual(
        served,
        discoverToolFolders(ITEM_KINDS.resource.dir, 'resource.ts').map(toolNameForFolder).sort(),
      );
      assert.deepEqual(
        (await client.listPrompts()).prompts.map((p) => p.name).sort(),
        discoverToolFolders(ITEM_KINDS.prompt.dir, 'prompt.ts').map(toolNameForFolder).sort(),
      );
    } finally {
      await client.close();
    }
  });

  it('serves the example resources, templates, prompts and completions to a 1.x client (2025-11-25)', async () => {
    const { client } = await connectClient(cluster.url, cluster.apiKey);
    try {
      const { resources } = await client.listResources();
      assert.deepEqual(
        resources.map((r) => r.uri),
        ['mcp-cluster://catalog/tools'],
      );
      const { resourceTemplates } = await client.listResourceTemplates();
      assert.deepEqual(
        resourceTemplates.map((t) => t.uriTemplate),
        [PROFILE_TEMPLATE],
      );
      const catalog = await client.readResource({ uri: 'mcp-cluster://catalog/tools' });
      assert.equal(catalog.contents[0]?.mimeType, 'text/markdown');
      assert.match(textOf(catalog.contents), /Tools you may call \(4\)[\s\S]*delete_user_account/);

      // A templated read calls the user directory with the directory's credential from Secrets Manager.
      const profile = await client.readResource({ uri: 'directory://users/u-1003' });
      assert.equal(JSON.parse(textOf(profile.contents)).id, 'u-1003');
      await assert.rejects(client.readResource({ uri: 'directory://users/u-9999' }), (error: { code: number }) => {
        assert.equal(error.code, -32002);
        return true;
      });

      const { prompts } = await client.listPrompts();
      assert.deepEqual(prompts.map((p) => p.name).sort(), ['review_account_deletion', 'weather_briefing']);
      const review = await client.getPrompt({ name: 'review_account_deletion', arguments: { userId: 'u-1003' } });
      assert.equal(review.messages[0]?.content.type, 'resource');
      assert.match(JSON.stringify(review.messages[1]), /delete_user_account/);
      await assert.rejects(client.getPrompt({ name: 'weather_briefing', arguments: {} }), /needs the argument "city"/);

      const cities = await client.complete({
        ref: { type: 'ref/prompt', name: 'weather_briefing' },
        argument: { name: 'city', value: 'l' },
      });
      assert.deepEqual(cities.completion.values, ['Lisbon', 'London']);
      const ids = await client.complete({
        ref: { type: 'ref/resource', uri: PROFILE_TEMPLATE },
        argument: { name: 'userId', value: 'u-100' },
      });
      assert.deepEqual(
        ids.completion.values,
        Array.from({ length: 10 }, (_, i) => `u-100${i}`),
      );
    } finally {
      await client.close();
    }
  });

  it('serves them to a v2 client pinned to 2026-07-28, stateless', async () => {
    const client = await connectModern(cluster.url, cluster.apiKey);
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
      const profile = await client.readResource({ uri: 'directory://users/u-1004' });
      assert.equal(JSON.parse(textOf(profile.contents)).id, 'u-1004');
      await assert.rejects(client.readResource({ uri: 'directory://users/u-9999' }), (error: { code: number }) => {
        assert.equal(error.code, -32602, 'MCP 2026-07-28: an unknown resource is invalid params');
        return true;
      });
      const briefing = await client.getPrompt({ name: 'weather_briefing', arguments: { city: 'Lisbon', days: '2' } });
      assert.match(JSON.stringify(briefing.messages), /Lisbon for the next 2 days/);
      const { resourceTemplates } = await client.listResourceTemplates();
      assert.equal(resourceTemplates[0]?.uriTemplate, PROFILE_TEMPLATE);
    } finally {
      await client.close();
    }
  });

  it('shows a weather-only key neither the profiles nor the deletion prompt, and reads it the catalogue of its own tools', async () => {
    for (const era of ['legacy', 'modern'] as const) {
      const client =
        era === 'modern'
          ? await connectModern(cluster.url, weatherKey)
          : (await connectClient(cluster.url, weatherKey)).client;
      try {
        assert.deepEqual((await client.listResourceTemplates()).resourceTemplates, [], era);
        assert.deepEqual(
          (await client.listPrompts()).prompts.map((p) => p.name),
          ['weather_briefing'],
        );
        await assert.rejects(client.readResource({ uri: 'directory://users/u-1003' }), (error: { code: number }) => {
          assert.equal(error.code, era === 'modern' ? -32602 : -32002, 'answered as unknown');
          return true;
        });
        await assert.rejects(
          client.getPrompt({ name: 'review_account_deletion', arguments: { userId: 'u-1003' } }),
          /Unknown prompt/,
        );
        const catalog = textOf((await client.readResource({ uri: 'mcp-cluster://catalog/tools' })).contents);
        assert.match(catalog, /get_weather_forecast/);
        assert.doesNotMatch(catalog, /delete_user_account/);
      } finally {
        await client.close();
      }
    }
    const records = await awaitAuditRecords(
      cluster,
      { agentId: 'weather-only', since: new Date(Date.now() - 60_000).toISOString() },
      6,
    );
    const byTool = records.map((r) => `${r.tool} ${r.outcome}`).sort();
    assert.deepEqual(byTool, [
      'prompt:review_account_deletion unknown_tool',
      'prompt:review_account_deletion unknown_tool',
      'resource:directory://users/u-1003 unknown_tool',
      'resource:directory://users/u-1003 unknown_tool',
      'resource:tool_catalog success',
      'resource:tool_catalog success',
    ]);
  });
});
