import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { post } from '../helpers/cluster.js';
import { startOidcIssuer } from '../helpers/oidc-issuer.js';

interface Started {
  child: ChildProcess;
  output: () => string;
  url: string;
  apiKey: string;
}

/** Runs what `npm start` runs, on a free port, and waits for the banner. */
async function start(stateDir: string): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    env: { ...process.env, PORT: '0', WORKERS: '2', MCP_LOCAL_DIR: stateDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!/Ctrl-C stops everything/.test(output)) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = /MCP endpoint\s+(\S+)/.exec(output)?.[1];
  const apiKey = /API key\s+(\S+)/.exec(output)?.[1];
  assert.ok(url && apiKey, `banner names the endpoint and the key:\n${output}`);
  return { child, output: () => output, url, apiKey };
}

function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.once('exit', (code) => resolve(code));
    started.child.kill('SIGINT');
  });
}

describe('npm start', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'mcp-cluster-start-'));
  after(() => rmSync(stateDir, { recursive: true, force: true }));

  it('prints the endpoint, a development key and a client command, and writes dev.json', async () => {
    const started = await start(stateDir);
    try {
      assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      assert.match(started.apiKey, /^mcpk_/);
      assert.match(started.output(), /@modelcontextprotocol\/inspector@latest --cli/);
      assert.match(started.output(), /scope \*: every tool, delete_user_account included/);
      assert.match(
        started.output(),
        /narrow key +mcpk_\S+ +scope weather:read: calculate, get_current_time, get_weather_forecast\n/,
      );
      assert.match(started.output(), /auth +API keys/);
      assert.match(started.output(), /resources +tool_catalog \(mcp-cluster:\/\/catalog\/tools\), user_profile/);
      assert.match(started.output(), /prompts +review_account_deletion, weather_briefing/);
      assert.match(started.output(), /OAuth +off \(set OAUTH_ISSUER/);
      const dev = JSON.parse(readFileSync(join(stateDir, 'dev.json'), 'utf8')) as Record<string, unknown>;
      const narrowApiKey = /narrow key\s+(\S+)/.exec(started.output())?.[1];
      assert.deepEqual(dev, {
        url: started.url,
        apiKey: started.apiKey,
        narrowApiKey,
        narrowScopes: ['weather:read'],
      });
      const response = await post(
        started.url,
        { jsonrpc: '2.0', id: 1, method: 'tools/list' },
        {
          authorization: `Bearer ${started.apiKey}`,
        },
      );
      assert.equal(response.status, 200);
    } finally {
      assert.equal(await stop(started), 0, 'Ctrl-C exits cleanly');
    }
    assert.match(started.output(), /stopped\./);
  });

  it('refuses to start with an OAuth issuer that has no metadata where OAUTH_ISSUER says, naming each URL and its status', async () => {
    const issuer = await startOidcIssuer();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
        env: { ...process.env, PORT: '0', MCP_LOCAL_DIR: stateDir, OAUTH_ISSUER: `${issuer.url}/realms/main` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 1, output);
      assert.match(output, /OAUTH_ISSUER=http:\/\/127\.0\.0\.1:\d+\/realms\/main cannot work/);
      assert.ok(output.includes(`GET ${issuer.url}/.well-known/oauth-authorization-server/realms/main → 404`), output);
    } finally {
      await issuer.close();
    }
  });

  it('keeps the development key across a restart', async () => {
    const first = await start(stateDir);
    await stop(first);
    const second = await start(stateDir);
    try {
      assert.equal(second.apiKey, first.apiKey);
      const response = await post(
        second.url,
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        {
          authorization: `Bearer ${first.apiKey}`,
        },
      );
      assert.equal(response.status, 200);
    } finally {
      assert.equal(await stop(second), 0);
    }
  });
});
