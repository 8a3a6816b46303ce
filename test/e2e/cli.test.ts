/**
 * The admin CLI as operators run it: a child process (`node --import tsx infra/cli/main.ts`, or the package's bin)
 * against a running local cluster, checked through the MCP endpoint itself. The cluster trusts cached keys and
 * registry snapshots for 300 ms, so every change must show within a second.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { post, sleep, startTestCluster, type TestCluster } from '../helpers/cluster.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'infra/cli/main.ts');
const BIN = join(ROOT, 'infra/cli/bin.mjs');
const TTL_MS = 300;
const STACK_TRACE = /\n\s+at .+:\d+:\d+/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, command, {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
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
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

interface ToolRow {
  name: string;
  enabled: boolean;
  scopes: string[];
  rateLimit: { limit: number; windowSeconds: number } | null;
}

describe('the admin CLI against a running local cluster', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startTestCluster({ env: { AUTH_CACHE_TTL_MS: String(TTL_MS), REGISTRY_TTL_MS: String(TTL_MS) } });
  });
  after(async () => {
    await cluster?.dispose();
  });

  /** `mcp-cluster <args> --local-dir <the cluster's state>` */
  const cli = (args: string[], input?: string) =>
    run(['--import', 'tsx', MAIN, ...args, '--local-dir', cluster.stateDir], input);

  async function cliJson<T>(args: string[]): Promise<T> {
    const result = await cli([...args, '--json']);
    assert.equal(result.code, 0, `${args.join(' ')} failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  async function createKey(agent: string, scopes: string): Promise<{ key: string; keyId: string }> {
    return cliJson(['keys', 'create', '--agent', agent, '--scopes', scopes]);
  }

  /** tools/list with a raw POST: the tool names, or the HTTP status when it is not 200. */
  async function listTools(apiKey: string): Promise<string[] | number> {
    const response = await post(
      cluster.url,
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { authorization: `Bearer ${apiKey}` },
    );
    if (response.status !== 200) return response.status;
    const body = (await response.json()) as { result: { tools: { name: string }[] } };
    return body.result.tools.map((tool) => tool.name).sort();
  }

  /** Polls until `check` holds on two consecutive answers (consecutive requests go to different workers). */
  async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let streak = 0;
    while (Date.now() < deadline) {
      streak = (await check()) ? streak + 1 : 0;
      if (streak >= 2) return;
      await sleep(50);
    }
    assert.fail(`not within ${timeoutMs} ms: ${what}`);
  }

  const callTool = (apiKey: string, name: string, args: Record<string, unknown> = {}) =>
    post(
      cluster.url,
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } },
      { authorization: `Bearer ${apiKey}` },
    );

  it('is the package bin: `npx mcp-cluster --help` lists every command', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    assert.equal(pkg.bin?.['mcp-cluster'], 'infra/cli/bin.mjs');
    assert.match(readFileSync(BIN, 'utf8'), /^#!\/usr\/bin\/env node\n/);
    const help = await run([BIN, '--help']);
    assert.equal(help.code, 0, help.stderr);
    for (const command of ['keys create', 'keys list', 'keys revoke', 'tools list', 'tools enable', 'tools disable']) {
      assert.ok(help.stdout.includes(command), command);
    }
    for (const command of ['tools update', 'audit query', 'secrets put']) assert.ok(help.stdout.includes(command));
  });

  it('creates a key that lists exactly the tools its scopes allow', async () => {
    const created = await cli(['keys', 'create', '--agent', 'e2e-weather', '--scopes', 'weather:read', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const { key, agentId, scopes, status } = JSON.parse(created.stdout);
    assert.match(key, /^mcpk_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual([agentId, scopes, status], ['e2e-weather', ['weather:read'], 'active']);
    assert.match(created.stderr, /cannot be shown again/);

    const { tools } = await cliJson<{ tools: ToolRow[] }>(['tools', 'list']);
    const allowed = tools
      .filter((tool) => tool.enabled && tool.scopes.every((scope) => scope === 'weather:read'))
      .map((tool) => tool.name)
      .sort();
    assert.ok(allowed.includes('get_weather_forecast'));
    assert.ok(!allowed.includes('delete_user_account'));
    assert.deepEqual(await listTools(key), allowed);
  });

  it('prints a new key once in plain text, with the warning on stderr', async () => {
    const created = await cli(['keys', 'create', '--agent', 'e2e-human', '--scopes', 'a,b', '--expires', '12h']);
    assert.equal(created.code, 0, created.stderr);
    const key = /key\s+(mcpk_\S+)/.exec(created.stdout)?.[1];
    assert.ok(key, created.stdout);
    assert.match(created.stdout, /scopes\s+a, b/);
    assert.match(created.stderr, /only time the key is shown/);
    // Scopes `a` and `b` open no tool: the key sees the tools that need no scope, and only those.
    const { tools } = await cliJson<{ tools: ToolRow[] }>(['tools', 'list']);
    const open = tools.filter((tool) => tool.enabled && tool.scopes.length === 0).map((tool) => tool.name);
    assert.deepEqual(await listTools(key), open.sort());
  });

  it('lists keys with their agent and status, never a key or its hash', async () => {
    const { keyId } = await createKey('e2e-listed', 'weather:read');
    const table = await cli(['keys', 'list']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^KEY ID\s+AGENT\s+TENANT\s+ROLE\s+SCOPES\s+CREATED\s+EXPIRES\s+STATUS/);
    const row = table.stdout.split('\n').find((line) => line.startsWith(keyId));
    assert.ok(row, table.stdout);
    assert.match(row, /e2e-listed\s+default\s+agent\s+weather:read\s+.*never\s+active$/);

    const listed = await cli(['keys', 'list', '--json']);
    assert.doesNotMatch(listed.stdout, /mcpk_|APIKEY#/);
    const keys = JSON.parse(listed.stdout).keys as { keyId: string; status: string }[];
    assert.equal(keys.find((key) => key.keyId === keyId)?.status, 'active');
  });

  it('revokes a key: the endpoint refuses it (403, API keys only) within AUTH_CACHE_TTL_MS', async () => {
    const { key, keyId } = await createKey('e2e-revoked', 'weather:read');
    assert.ok(Array.isArray(await listTools(key)));
    const revoked = await cli(['keys', 'revoke', keyId]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`Revoked ${keyId} \\(agent e2e-revoked`));
    await eventually(async () => (await listTools(key)) === 403, 'the revoked key gets 403');
    const keys = (await cliJson<{ keys: { keyId: string; status: string }[] }>(['keys', 'list'])).keys;
    assert.equal(keys.find((k) => k.keyId === keyId)?.status, 'revoked');
    const again = await cli(['keys', 'revoke', keyId]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already revoked/);
  });

  it('disables a tool (it leaves tools/list within the TTL) and enables it again', async () => {
    const disabled = await cli(['tools', 'disable', 'calculate']);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.match(disabled.stdout, /Disabled calculate/);
    await eventually(async () => {
      const names = await listTools(cluster.apiKey);
      return Array.isArray(names) && !names.includes('calculate');
    }, 'calculate leaves tools/list');
    const { tools } = await cliJson<{ tools: ToolRow[] }>(['tools', 'list']);
    assert.equal(tools.find((tool) => tool.name === 'calculate')?.enabled, false);
    const table = await cli(['tools', 'list']);
    assert.match(table.stdout, /^calculate\s+no\s/m);

    const enabled = await cli(['tools', 'enable', 'calculate']);
    assert.equal(enabled.code, 0, enabled.stderr);
    await eventually(async () => {
      const names = await listTools(cluster.apiKey);
      return Array.isArray(names) && names.includes('calculate');
    }, 'calculate returns to tools/list');
  });

  it('re-scopes a tool with tools update --scopes, and puts the code scopes back with --reset-scopes', async () => {
    const reader = await createKey('e2e-reader', 'weather:read');
    const premium = await createKey('e2e-premium', 'weather:premium');
    const sees = async (key: string) => {
      const names = await listTools(key);
      return Array.isArray(names) && names.includes('get_weather_forecast');
    };
    assert.equal(await sees(reader.key), true);

    const updated = await cli(['tools', 'update', 'get_weather_forecast', '--scopes', 'weather:premium']);
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stdout, /scopes\s+weather:premium \(policy; the code's: weather:read\)/);
    await eventually(async () => !(await sees(reader.key)) && (await sees(premium.key)), 'the tool follows its scopes');

    const limited = await cliJson<ToolRow>(['tools', 'update', 'get_weather_forecast', '--rate-limit', '30/min']);
    assert.deepEqual(limited.rateLimit, { limit: 30, windowSeconds: 60 });
    assert.deepEqual(limited.scopes, ['weather:premium']);

    const reset = await cliJson<ToolRow>([
      'tools',
      'update',
      'get_weather_forecast',
      '--reset-scopes',
      '--rate-limit',
      'none',
    ]);
    assert.deepEqual(reset.scopes, ['weather:read']);
    assert.equal(reset.rateLimit, null);
    await eventually(async () => (await sees(reader.key)) && !(await sees(premium.key)), 'the code scopes are back');

    const unknown = await cli(['tools', 'update', 'no_such_tool', '--scopes', 'x']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No tool named "no_such_tool"/);
  });

  it('stores a secret read from stdin and never prints its value', async () => {
    const value = `e2e-${randomBytes(12).toString('hex')}`;
    const put = await cli(['secrets', 'put', 'e2e-api'], `${value}\n`);
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, /Stored mcp-cluster\/local\/e2e-api .*\(new secret\)/);
    assert.ok(!put.stdout.includes(value) && !put.stderr.includes(value), 'the value was printed');
    const stored = await cluster.secretsManager.send(
      new GetSecretValueCommand({ SecretId: `${cluster.secretsPrefix}e2e-api` }),
    );
    assert.equal(stored.SecretString, value);

    const rotated = `${value}-rotated`;
    const again = await cli(['secrets', 'put', 'e2e-api', '--json'], rotated);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(
      { ...JSON.parse(again.stdout), versionId: undefined },
      { name: `${cluster.secretsPrefix}e2e-api`, created: false, versionId: undefined },
    );
    assert.ok(!again.stdout.includes(rotated) && !again.stderr.includes(rotated));
  });

  it('queries the audit records of the calls an agent made', async () => {
    const { key, keyId } = await createKey('e2e-audited', '*');
    const started = new Date().toISOString();
    assert.equal((await callTool(key, 'get_current_time')).status, 200);
    assert.equal((await callTool(key, 'calculate', { expression: '6*7' })).status, 200);
    assert.equal((await callTool(key, 'no_such_tool')).status, 200);

    type AuditJson = {
      since: string;
      truncated: boolean;
      records: {
        agentId: string;
        credentialId: string;
        tool: string;
        outcome: string;
        errorCode: string | null;
        latencyMs: number;
        onBehalfOf: string | null;
      }[];
    };
    let result: AuditJson | undefined;
    await eventually(async () => {
      result = await cliJson<AuditJson>(['audit', 'query', '--agent', 'e2e-audited', '--since', '10m']);
      return result.records.length >= 3;
    }, 'three audit records');
    const records = result!.records;
    assert.equal(result!.truncated, false);
    assert.ok(result!.since < started);
    assert.deepEqual(
      records.map((r) => [r.tool, r.outcome]),
      [
        ['get_current_time', 'success'],
        ['calculate', 'success'],
        ['no_such_tool', 'unknown_tool'],
      ],
    );
    for (const record of records) {
      assert.equal(record.agentId, 'e2e-audited');
      assert.equal(record.credentialId, keyId);
      assert.equal(record.onBehalfOf, null);
      assert.equal(typeof record.latencyMs, 'number');
    }

    const byTool = await cliJson<AuditJson>(['audit', 'query', '--tool', 'calculate', '--agent', 'e2e-audited']);
    assert.deepEqual(
      byTool.records.map((r) => r.tool),
      ['calculate'],
    );
    const table = await cli(['audit', 'query', '--agent', 'e2e-audited', '--limit', '2']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^TIME\s+TENANT\s+AGENT\s+ON BEHALF OF\s+TOOL\s+OUTCOME\s+ERROR\s+LATENCY/);
    assert.match(table.stdout, /e2e-audited\s+-\s+no_such_tool\s+unknown_tool/);
    assert.match(table.stdout, /Showing the latest 2 records/);
  });

  it('exits 2 with the usage for bad usage, and 1 with a message (no stack trace) when an operation fails', async () => {
    const unknownFlag = await cli(['keys', 'create', '--agent', 'x', '--scopes', 'y', '--secret', 'z']);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /unknown option --secret/);
    assert.match(unknownFlag.stderr, /Usage: mcp-cluster keys create --agent ID \(--scopes A,B \| --admin\)/);
    assert.doesNotMatch(unknownFlag.stderr, STACK_TRACE);

    const badTime = await cli(['audit', 'query', '--since', 'last week']);
    assert.equal(badTime.code, 2);
    assert.match(badTime.stderr, /--since: "last week" is not a time/);
    assert.match(badTime.stderr, /\nRun "mcp-cluster audit query --help" for the options\.\n$/);

    const unknownKey = await cli(['keys', 'revoke', 'key_0000000000000000']);
    assert.equal(unknownKey.code, 1);
    assert.match(unknownKey.stderr, /No API key with id key_0000000000000000/);
    assert.doesNotMatch(unknownKey.stderr, /Usage:|\n\s+at /);

    const notRunning = await run(['--import', 'tsx', MAIN, 'keys', 'list', '--local-dir', join(cluster.stateDir, 'x')]);
    assert.equal(notRunning.code, 1);
    assert.match(notRunning.stderr, /The local cluster is not running: start it with npm start/);
    assert.doesNotMatch(notRunning.stderr, STACK_TRACE);
  });
});
