import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type LocalCluster, type LocalClusterOptions, startLocalCluster } from '../../infra/local/cluster.js';
import { type AuditSearch, searchAudit } from '../../shared/admin/audit.js';
import type { AuditRecord } from '../../shared/audit/audit.js';

export interface TestCluster extends LocalCluster {
  /** Every log line the workers wrote, in order. */
  logs: string[];
  stateDir: string;
  /** Stops the cluster and removes its state. */
  dispose(): Promise<void>;
}

/** A local cluster on a free port with its own throw-away state folder. */
export async function startTestCluster(options: LocalClusterOptions = {}): Promise<TestCluster> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'mcp-cluster-e2e-'));
  const logs: string[] = [];
  const cluster = await startLocalCluster({
    port: 0,
    workers: 2,
    ...options,
    stateDir,
    onLog: (line) => logs.push(line),
  });
  return Object.assign(cluster, {
    logs,
    stateDir,
    async dispose() {
      await cluster.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  });
}

export interface ConnectedClient {
  client: Client;
  /** The `x-mcp-cluster-worker` header of every HTTP response this client received. */
  workers: string[];
  /** Every HTTP response body this client received. */
  bodies: string[];
}

/** The MCP SDK's own client over Streamable HTTP, with the given API key. */
export async function connectClient(url: string, apiKey: string): Promise<ConnectedClient> {
  const workers: string[] = [];
  const bodies: string[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const worker = response.headers.get('x-mcp-cluster-worker');
    if (worker !== null) workers.push(worker);
    bodies.push(await response.clone().text());
    return response;
  };
  const client = new Client({ name: 'e2e-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${apiKey}` } },
      fetch: recordingFetch,
    }),
  );
  return { client, workers, bodies };
}

/** A raw POST to the endpoint, for the cases an SDK client never produces. */
export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request with exactly the headers given (fetch always adds `accept: *\/*`). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Audit records reach the table from the workers' logs (as from CloudWatch Logs when deployed), a few ms after the
 * response. Waits until `count` records match, then checks no more arrive.
 */
export async function awaitAuditRecords(
  cluster: LocalCluster,
  search: AuditSearch,
  count: number,
  timeoutMs = 10_000,
): Promise<AuditRecord[]> {
  const read = async () => {
    await cluster.flushAudit();
    return (
      await searchAudit({ client: cluster.dynamodb, tableName: cluster.auditTableName }, { limit: 100_000, ...search })
    ).records;
  };
  const deadline = Date.now() + timeoutMs;
  let records = await read();
  while (records.length < count && Date.now() < deadline) {
    await sleep(100);
    records = await read();
  }
  await sleep(200);
  return read();
}
