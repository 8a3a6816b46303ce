import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type DevAuthorizationServer, startDevAuthorizationServer } from '../../infra/local/oauth-dev-server.js';
import { post, startTestCluster, type TestCluster } from '../helpers/cluster.js';

const MCP_REMOTE = join(process.cwd(), 'node_modules/mcp-remote/dist/proxy.js');
const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The scope a 401 challenge names (RFC 6750 §3). */
const challengedScope = (challenge: string) => /scope="([^"]*)"/.exec(challenge)?.[1];

async function tokenFor(server: DevAuthorizationServer, clientId: string, scope: string) {
  const client = server.clients.find((c) => c.clientId === clientId)!;
  const response = await fetch(server.tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: server.resource }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

async function toolNames(url: string, token: string): Promise<string[]> {
  const response = await post(
    url,
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    { authorization: `Bearer ${token}` },
  );
  assert.equal(response.status, 200);
  const body = (await response.json()) as { result: { tools: { name: string }[] } };
  return body.result.tools.map((tool) => tool.name);
}

/**
 * `mcp-remote` (the stdio bridge desktop clients run) with `args`: writes `lines` to its stdin, one at a time once
 * the previous one was answered, and returns what it printed. It stops at the deadline or when it exits.
 */
async function mcpRemote(args: string[], lines: unknown[], timeoutMs = 20_000) {
  const home = mkdtempSync(join(tmpdir(), 'mcp-remote-'));
  const child = spawn(process.execPath, [MCP_REMOTE, ...args], {
    env: { ...process.env, HOME: home, MCP_REMOTE_CONFIG_DIR: join(home, '.mcp-auth') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + timeoutMs;
  try {
    for (const [index, line] of lines.entries()) {
      child.stdin.write(`${JSON.stringify(line)}\n`);
      while (stdout.split('\n').filter(Boolean).length <= index && child.exitCode === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(home, { recursive: true, force: true });
  }
  const answers = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { id?: number; result?: Record<string, unknown>; error?: unknown });
  return { answers, stderr };
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'desktop', version: '1.0.0' } },
};
const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };
const listTools = { jsonrpc: '2.0', id: 2, method: 'tools/list' };

describe('OAuth with a real authorization server (oidc-provider) and real clients', () => {
  let server: DevAuthorizationServer;
  let cluster: TestCluster;

  before(async () => {
    const port = await freePort();
    server = await startDevAuthorizationServer({ port: 0, resource: `http://127.0.0.1:${port}/mcp` });
    cluster = await startTestCluster({ port, workers: 2, env: { OAUTH_ISSUER: server.issuer } });
  });
  after(async () => {
    await cluster?.dispose();
    await server?.close();
  });

  it('gives a client that requests the scope the challenge names a token listing exactly the tools of that scope', async () => {
    const refused = await post(cluster.url, listTools);
    assert.equal(refused.status, 401);
    const scope = challengedScope(refused.headers.get('www-authenticate') ?? '');
    assert.equal(scope, 'weather:read');

    const { status, body } = await tokenFor(server, 'weather-agent', scope!);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.scope, 'weather:read');
    assert.deepEqual(await toolNames(cluster.url, body.access_token!), [
      'calculate',
      'get_current_time',
      'get_weather_forecast',
    ]);
  });

  it('lets a client allowed more ask for it by name, and refuses asking for a scope it was not allowed', async () => {
    const admin = await tokenFor(server, 'admin-agent', 'weather:read users:admin');
    assert.equal(admin.status, 200, JSON.stringify(admin.body));
    assert.ok((await toolNames(cluster.url, admin.body.access_token!)).includes('delete_user_account'));

    const overAsked = await tokenFor(server, 'weather-agent', 'weather:read users:admin');
    assert.equal(overAsked.status, 400);
    assert.equal(overAsked.body.error, 'invalid_scope');
  });

  it("runs docs/oauth.md's client as written: challenge, metadata, token for the resource, tools of the scope", async () => {
    const { stdout } = await run(TSX, ['docs/examples/oauth-client.ts'], {
      env: { ...process.env, MCP_URL: cluster.url },
      timeout: 30_000,
    });
    assert.equal(
      stdout,
      `token for ${cluster.url} with scope "weather:read"\ncalculate, get_current_time, get_weather_forecast\n`,
    );
  });

  it('connects mcp-remote --client-credentials, which requests the challenged scope, and lists the weather tools', async () => {
    const client = server.clients.find((c) => c.clientId === 'weather-agent')!;
    const { answers, stderr } = await mcpRemote(
      [
        cluster.url,
        '--client-credentials',
        '--static-oauth-client-info',
        JSON.stringify({ client_id: client.clientId, client_secret: client.clientSecret }),
      ],
      [initialize, initialized, listTools].filter((line) => 'id' in line),
    );
    const listed = answers.find((answer) => answer.id === 2)?.result as { tools: { name: string }[] } | undefined;
    assert.ok(listed, stderr);
    assert.deepEqual(
      listed.tools.map((tool) => tool.name),
      ['calculate', 'get_current_time', 'get_weather_forecast'],
    );
  });
});

describe('a desktop client through mcp-remote, against a cluster that takes API keys only', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startTestCluster({ workers: 1 });
  });
  after(() => cluster?.dispose());

  it('shows the user why a bad key was refused, with no detour through OAuth discovery or SSE', async () => {
    const { stderr } = await mcpRemote([cluster.url, '--header', 'Authorization: Bearer mcpk_bad'], [initialize]);
    assert.ok(stderr.includes('The API key is invalid, expired or revoked.'), stderr);
    assert.doesNotMatch(stderr, /SSE error|Dynamic Client Registration/);
  });

  it('works with a good key', async () => {
    const { answers, stderr } = await mcpRemote(
      [cluster.url, '--header', `Authorization: Bearer ${cluster.narrowApiKey}`],
      [initialize, listTools],
    );
    const listed = answers.find((answer) => answer.id === 2)?.result as { tools: { name: string }[] } | undefined;
    assert.ok(listed, stderr);
    assert.ok(listed.tools.some((tool) => tool.name === 'get_weather_forecast'));
    assert.ok(!listed.tools.some((tool) => tool.name === 'delete_user_account'), 'the narrow key sees no admin tool');
  });
});
