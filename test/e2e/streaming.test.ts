import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { connectClient, startTestCluster, type TestCluster } from '../helpers/cluster.js';

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
});
