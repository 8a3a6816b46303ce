import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  awaitAuditRecords,
  type ConnectedClient,
  connectClient,
  startTestCluster,
  type TestCluster,
} from '../helpers/cluster.js';

const KEY_META = 'io.mcp-cluster/idempotencyKey';
const REPLAY_META = 'io.mcp-cluster/idempotency';

type Result = { isError?: boolean; structuredContent?: unknown; _meta?: Record<string, unknown> };

describe('idempotent tool calls across the local cluster (2 workers)', () => {
  let cluster: TestCluster;
  let modern: Client;
  let legacy: ConnectedClient;
  const workers = new Set<string>();

  before(async () => {
    cluster = await startTestCluster();
    modern = new Client(
      { name: 'idempotency-e2e', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await modern.connect(
      new StreamableHTTPClientTransport(new URL(cluster.url), {
        requestInit: { headers: { Authorization: `Bearer ${cluster.apiKey}` } },
        fetch: async (input: string | URL, init?: RequestInit) => {
          const response = await fetch(input, init);
          const worker = response.headers.get('x-mcp-cluster-worker');
          if (worker) workers.add(worker);
          return response;
        },
      }),
    );
    legacy = await connectClient(cluster.url, cluster.apiKey);
  });
  after(async () => {
    await modern?.close();
    await legacy?.client.close();
    await cluster?.dispose();
  });

  const deletion = (userId: string, key: string) => ({
    name: 'delete_user_account',
    arguments: { userId, reason: 'requested by the account owner' },
    _meta: { [KEY_META]: key },
  });

  it('deletes once for 20 parallel calls with one key (2026-07-28), answers all 20 alike, and audits 1 execution and 19 replays', async () => {
    const since = new Date().toISOString();
    const key = randomUUID();
    const before = cluster.demoUpstreams.deleteRequests();
    const results = (await Promise.all(
      Array.from({ length: 20 }, () => modern.callTool(deletion('u-1005', key))),
    )) as Result[];
    assert.equal(cluster.demoUpstreams.deleteRequests() - before, 1, 'the directory saw one DELETE');
    assert.deepEqual(workers, new Set(['0', '1']), 'both workers answered');
    for (const result of results) {
      assert.equal(result.isError, undefined, JSON.stringify(result));
      assert.deepEqual(result.structuredContent, results[0]!.structuredContent);
    }
    assert.equal(results.filter((r) => (r._meta?.[REPLAY_META] as { replay?: boolean })?.replay).length, 19);

    const records = await awaitAuditRecords(cluster, { tool: 'delete_user_account', since }, 20);
    assert.equal(records.filter((r) => r.outcome === 'success').length, 1);
    assert.equal(records.filter((r) => r.outcome === 'replayed').length, 19);

    const other = (await modern.callTool(deletion('u-1006', key))) as Result;
    assert.equal(other.isError, true);
    assert.equal((other._meta?.['mcp-cluster/error'] as { code?: string } | undefined)?.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(cluster.demoUpstreams.deleteRequests() - before, 1, 'the refused call reached no upstream');
  });

  it('protects a 2025-11-25 client (initialize) the same way', async () => {
    const key = randomUUID();
    const before = cluster.demoUpstreams.deleteRequests();
    const results = (await Promise.all(
      Array.from({ length: 4 }, () => legacy.client.callTool(deletion('u-1007', key))),
    )) as Result[];
    assert.equal(cluster.demoUpstreams.deleteRequests() - before, 1);
    for (const result of results) assert.deepEqual(result.structuredContent, results[0]!.structuredContent);
  });
});
