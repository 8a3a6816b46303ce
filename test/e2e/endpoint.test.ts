import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { McpError } from '@modelcontextprotocol/sdk/types.js';
import { discoverToolFolders, TOOLS_DIR } from '../../infra/build/tool-index.js';
import { deriveJsonSchemas, type ToolDefinition } from '../../shared/tools/define-tool.js';
import { loadCodeTools } from '../../shared/tools/load-tools.js';
import { toolNameForFolder } from '../../shared/tools/naming.js';
import {
  type ConnectedClient,
  connectClient,
  post,
  rawRequest,
  startTestCluster,
  type TestCluster,
} from '../helpers/cluster.js';

describe('the local cluster, through the MCP SDK client', () => {
  let cluster: TestCluster;
  let dev: ConnectedClient;

  before(async () => {
    cluster = await startTestCluster();
    dev = await connectClient(cluster.url, cluster.apiKey);
  });

  after(async () => {
    await dev?.client.close();
    await cluster?.dispose();
  });

  it('negotiates the newest protocol version and names the server', async () => {
    const response = await post(
      cluster.url,
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      },
      { authorization: `Bearer ${cluster.apiKey}` },
    );
    assert.equal(response.status, 200);
    const body = (await response.json()) as { result: { protocolVersion: string; capabilities: { tools?: unknown } } };
    assert.equal(body.result.protocolVersion, '2025-11-25');
    assert.ok(body.result.capabilities.tools, 'tools capability advertised');
    assert.deepEqual(dev.client.getServerVersion(), { name: 'mcp-cluster-local', version: '0.1.0' });
  });

  it('still speaks the 2025-03-26 protocol to older clients', async () => {
    const response = await post(
      cluster.url,
      {
        jsonrpc: '2.0',
        id: 'old',
        method: 'initialize',
        params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'old', version: '1' } },
      },
      { authorization: `Bearer ${cluster.apiKey}` },
    );
    const body = (await response.json()) as { id: string; result: { protocolVersion: string } };
    assert.equal(body.id, 'old');
    assert.equal(body.result.protocolVersion, '2025-03-26');
  });

  it('serves one tool for every folder under functions/tools', async () => {
    const { tools } = await dev.client.listTools();
    const expected = discoverToolFolders().map(toolNameForFolder).sort();
    assert.ok(expected.length >= 4, 'at least four example tools ship');
    assert.deepEqual(tools.map((tool) => tool.name).sort(), expected);
  });

  it('describes every tool with a description and an object input schema', async () => {
    const { tools } = await dev.client.listTools();
    for (const tool of tools) {
      assert.ok(tool.description && tool.description.length > 20, `${tool.name} has a real description`);
      assert.equal(tool.inputSchema.type, 'object', `${tool.name} takes an object`);
    }
    const destructive = tools.find((tool) => tool.name === 'delete_user_account');
    assert.equal(destructive?.annotations?.destructiveHint, true);
  });

  it('advertises each tool as its module declares it, JSON Schemas exactly as zod derives them (bundle metadata)', async () => {
    const { tools } = await dev.client.listTools();
    // The modules themselves, not the index (which serves the build's metadata until a tool's first call).
    const modules = await Promise.all(
      discoverToolFolders().map(async (folder) => ({
        folder,
        tool: ((await import(pathToFileURL(join(TOOLS_DIR, folder, 'tool.ts')).href)) as { default: ToolDefinition })
          .default,
      })),
    );
    for (const code of loadCodeTools(modules)) {
      assert.ok('input' in code, `${code.name} is the module's own definition here`);
      const served = tools.find((tool) => tool.name === code.name);
      assert.equal(served?.description, code.description);
      assert.equal(served?.title, code.title);
      assert.deepEqual(served?.annotations, code.annotations);
      assert.ok(!('jsonSchema' in code.input), `${code.name} declares its input with zod`);
      const derived = deriveJsonSchemas(code.input, code.output);
      assert.deepEqual(served?.inputSchema, derived.input, `${code.name} input`);
      assert.deepEqual(served?.outputSchema, derived.output, `${code.name} output`);
    }
  });

  it('answers a pure tool with structured content', async () => {
    const result = await dev.client.callTool({ name: 'calculate', arguments: { expression: '(2 + 3) * 4 ^ 2' } });
    assert.equal(result.isError, undefined);
    assert.deepEqual(result.structuredContent, { expression: '(2 + 3) * 4 ^ 2', result: 80 });
  });

  it('calls an upstream API with the credential from Secrets Manager', async () => {
    const result = await dev.client.callTool({ name: 'get_weather_forecast', arguments: { city: 'Lisbon', days: 2 } });
    assert.equal(result.isError, undefined);
    const forecast = result.structuredContent as { city: string; days: unknown[] };
    assert.equal(forecast.city, 'Lisbon');
    assert.equal(forecast.days.length, 2);
  });

  it('turns a failure the tool reports into an isError result with a code', async () => {
    const result = await dev.client.callTool({ name: 'get_weather_forecast', arguments: { city: 'Atlantis' } });
    assert.equal(result.isError, true);
    const meta = result._meta?.['mcp-cluster/error'] as { code: string; retryable: boolean };
    assert.equal(meta.code, 'CITY_NOT_FOUND');
    assert.equal(meta.retryable, false);
    assert.match(JSON.stringify(result.content), /Atlantis/);
  });

  it('performs a destructive call for a key that holds every scope', async () => {
    const result = await dev.client.callTool({
      name: 'delete_user_account',
      arguments: { userId: 'u-1004', reason: 'requested by the account owner' },
    });
    assert.equal(result.isError, undefined);
    assert.equal((result.structuredContent as { deleted: boolean }).deleted, true);
  });

  it('names the missing argument and why when a required argument is left out, as a result the model can act on', async () => {
    const result = await dev.client.callTool({ name: 'get_weather_forecast', arguments: {} });
    assert.equal(result.isError, true);
    const text = (result.content as { text: string }[])[0]?.text ?? '';
    assert.match(text, /city: Invalid input: expected string/);
    assert.match(text, /INVALID_ARGUMENTS/);
  });

  it('names the field whose value is out of range', async () => {
    const result = await dev.client.callTool({ name: 'get_weather_forecast', arguments: { city: 'Oslo', days: 30 } });
    assert.equal(result.isError, true);
    assert.match((result.content as { text: string }[])[0]?.text ?? '', /days: /);
  });

  it('answers an unknown tool with JSON-RPC -32602', async () => {
    await assert.rejects(
      dev.client.callTool({ name: 'launch_missiles', arguments: {} }),
      (error: McpError) => error.code === -32602 && /Unknown tool/.test(error.message),
    );
  });

  it('answers an unknown method with JSON-RPC -32601', async () => {
    const response = await post(
      cluster.url,
      { jsonrpc: '2.0', id: 9, method: 'resources/subscribe', params: { uri: 'mcp-cluster://catalog/tools' } },
      {
        authorization: `Bearer ${cluster.apiKey}`,
      },
    );
    const body = (await response.json()) as { error: { code: number } };
    assert.equal(body.error.code, -32601);
  });

  it('refuses a request without a credential with 401 and a Bearer challenge', async () => {
    const response = await post(cluster.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /);
    const body = (await response.json()) as { error: { code: number; message: string } };
    assert.match(body.error.message, /Authorization/);
  });

  it('refuses an unknown API key with 403 and the reason, without OAuth configured', async () => {
    const response = await post(
      cluster.url,
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      {
        authorization: 'Bearer mcpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      },
    );
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('www-authenticate'), null);
    const body = (await response.json()) as { id: number; error: { message: string } };
    assert.equal(body.id, 1);
    assert.equal(body.error.message, 'The API key is invalid, expired or revoked.');
  });

  it('answers GET with 405 and Allow: POST at once, never an event stream', async () => {
    const started = Date.now();
    const response = await fetch(cluster.url, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${cluster.apiKey}` },
      signal: AbortSignal.timeout(5_000),
    });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST');
    assert.notEqual(response.headers.get('content-type'), 'text/event-stream');
    await response.text();
    assert.ok(Date.now() - started < 2_000, 'answered without waiting');
  });

  it('answers DELETE with 405 too (there is no session to end)', async () => {
    const response = await fetch(cluster.url, { method: 'DELETE' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST');
  });

  it('rejects malformed JSON with -32700', async () => {
    const response = await post(cluster.url, '{"jsonrpc": "2.0", "id": 1, "method": ', {
      authorization: `Bearer ${cluster.apiKey}`,
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: { code: number } }).error.code, -32700);
  });

  it('rejects a wrong content type with 415 and a missing Accept with 406', async () => {
    const wrongType = await post(cluster.url, '{}', { 'content-type': 'text/plain' });
    assert.equal(wrongType.status, 415);
    const noAccept = await rawRequest(cluster.url, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cluster.apiKey}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    assert.equal(noAccept.status, 406);
    assert.match(noAccept.body, /Accept/);
  });

  it('rejects an oversized body with 413 before reading it as JSON', async () => {
    const response = await post(cluster.url, `{"pad":"${'x'.repeat(1_100_000)}"}`);
    assert.equal(response.status, 413);
  });

  it('serves 24 clients connecting in parallel, across both workers', async () => {
    const clients = await Promise.all(Array.from({ length: 24 }, () => connectClient(cluster.url, cluster.apiKey)));
    try {
      const results = await Promise.all(
        clients.map(async ({ client }, i) => {
          const { tools } = await client.listTools();
          const call = await client.callTool({ name: 'calculate', arguments: { expression: `${i} * 2` } });
          return { tools: tools.length, result: (call.structuredContent as { result: number }).result };
        }),
      );
      results.forEach((r, i) => {
        assert.ok(r.tools >= 4);
        assert.equal(r.result, i * 2);
      });
      const workers = new Set(clients.flatMap((c) => c.workers));
      assert.deepEqual([...workers].sort(), ['0', '1'], 'requests landed on both workers');
    } finally {
      await Promise.all(clients.map(({ client }) => client.close()));
    }
  });

  it('serves one client from different workers, one request after another', async () => {
    const one = await connectClient(cluster.url, cluster.apiKey);
    try {
      for (let i = 0; i < 4; i++) await one.client.callTool({ name: 'get_current_time', arguments: {} });
      assert.deepEqual([...new Set(one.workers)].sort(), ['0', '1']);
    } finally {
      await one.client.close();
    }
  });

  it('keeps stack traces and internal names out of every response', () => {
    const everything = dev.bodies.join('\n');
    assert.doesNotMatch(everything, /at .+\.(ts|js|mjs):\d+/);
    assert.doesNotMatch(everything, /arn:aws/);
    assert.doesNotMatch(everything, new RegExp(cluster.tableName));
    assert.doesNotMatch(everything, new RegExp(cluster.secretsPrefix));
  });
});
