import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { connectClient, post, startTestCluster, type TestCluster } from '../helpers/cluster.js';

describe('progress over one POST, through the local cluster, with MCP clients no one here wrote', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster();
  });
  after(() => cluster?.dispose());

  it('gives a 1.x SDK client its progress before the result, on both workers', async () => {
    const { client, workers } = await connectClient(cluster.url, cluster.apiKey);
    for (let call = 0; call < 2; call++) {
      const seen: string[] = [];
      const result = await client.callTool(
        { name: 'get_weather_forecast', arguments: { city: 'Oslo', days: 2 } },
        undefined,
        { onprogress: (progress) => seen.push(`${progress.progress}/${progress.total}`) },
      );
      seen.push('result');
      assert.ok(!result.isError, JSON.stringify(result));
      assert.deepEqual(seen, ['0/2', '1/2', '2/2', 'result']);
    }
    const calls = workers.slice(-2);
    assert.deepEqual(new Set(calls), new Set(['0', '1']), `the two calls landed on both workers (${calls})`);
    await client.close();
  });

  it('gives a 2026-07-28 client (SDK v2) its progress and the log level it asks for', async () => {
    const types: string[] = [];
    const client = new Client(
      { name: 'streaming-e2e', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    const transport = new StreamableHTTPClientTransport(new URL(cluster.url), {
      requestInit: { headers: { Authorization: `Bearer ${cluster.apiKey}` } },
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        types.push(response.headers.get('content-type') ?? '');
        return response;
      },
    });
    await client.connect(transport);
    const seen: number[] = [];
    const result = await client.callTool(
      { name: 'get_weather_forecast', arguments: { city: 'Lisbon', days: 1 } },
      { onprogress: (progress) => seen.push(progress.progress) },
    );
    assert.ok(!result.isError, JSON.stringify(result));
    assert.deepEqual(seen, [0, 1, 2]);
    assert.equal(types.at(-1), 'text/event-stream');
    const plain = await client.callTool({ name: 'get_current_time', arguments: {} });
    assert.ok(!plain.isError);
    assert.equal(types.at(-1), 'application/json', 'a tool that reports nothing is answered as JSON');
    await client.close();
  });

  it('asks a 2026-07-28 client to confirm delete_user_account, and completes the retry on the other worker', async () => {
    const calls: { worker: string | null; resultType?: string }[] = [];
    const client = new Client(
      { name: 'confirming-e2e', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: {} } },
    );
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(String(request.params.message));
      return { action: 'accept', content: { confirm: true } };
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(cluster.url), {
        requestInit: { headers: { Authorization: `Bearer ${cluster.apiKey}` } },
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          if (typeof init?.body === 'string' && init.body.includes('"tools/call"')) {
            const body = (await response.clone().json()) as { result?: { resultType?: string } };
            calls.push({ worker: response.headers.get('x-mcp-cluster-worker'), resultType: body.result?.resultType });
          }
          return response;
        },
      }),
    );
    const result = await client.callTool({
      name: 'delete_user_account',
      arguments: { userId: 'u-1010', reason: 'User asked to close their account in ticket 9001' },
    });
    assert.ok(!result.isError, JSON.stringify(result));
    assert.equal((result.structuredContent as { deleted: boolean }).deleted, true);
    assert.equal(asked.length, 1);
    assert.match(asked[0]!, /u-1010/);
    assert.deepEqual(
      calls.map((c) => c.resultType),
      ['input_required', 'complete'],
    );
    assert.notEqual(calls[0]!.worker, calls[1]!.worker, 'the retry landed on the other worker');
    await client.close();
  });

  it('refuses a tampered requestState of delete_user_account', async () => {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
    };
    const headers = {
      authorization: `Bearer ${cluster.apiKey}`,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'delete_user_account',
    };
    const args = { userId: 'u-1011', reason: 'User asked to close their account in ticket 9002' };
    const params = { name: 'delete_user_account', arguments: args, _meta: meta };
    const first = (await (
      await post(cluster.url, { jsonrpc: '2.0', id: 1, method: 'tools/call', params }, headers)
    ).json()) as {
      result: { requestState: string };
    };
    const state = first.result.requestState;
    const tampered = `${state.slice(0, -2)}${state.endsWith('AA') ? 'BB' : 'AA'}`;
    const retry = await post(
      cluster.url,
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: {
          ...params,
          requestState: tampered,
          inputResponses: { confirm_deletion: { action: 'accept', content: { confirm: true } } },
        },
      },
      headers,
    );
    const body = (await retry.json()) as { error?: { code: number; data?: { reason?: string } } };
    assert.equal(body.error?.code, -32602);
    assert.equal(body.error?.data?.reason, 'forged');
  });
});
