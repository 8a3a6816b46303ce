/**
 * The admin API on the local cluster (`npm start`): `POST <base>/admin` served by a worker of its own, as the deployed
 * AdminFunction, and the real CLI through it with `--endpoint`.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../infra/cli/cli.js';
import { issueApiKey } from '../../shared/admin/api-keys.js';
import { updateTenant } from '../../shared/admin/tenants.js';
import { post, startTestCluster, type TestCluster } from '../helpers/cluster.js';

describe('the admin API on the local cluster', () => {
  let cluster: TestCluster;
  let adminKey: string;

  before(async () => {
    cluster = await startTestCluster({ workers: 1 });
    const table = { client: cluster.dynamodb, tableName: cluster.tableName };
    await updateTenant(table, 'acme', { grantableScopes: ['weather:read'] });
    adminKey = (await issueApiKey(table, { agentId: 'acme-admin', tenant: 'acme', role: 'tenant-admin', scopes: [] }))
      .key;
  });
  after(() => cluster.dispose());

  it('serves POST /admin beside /mcp, to tenant admin keys only', async () => {
    assert.equal(cluster.adminUrl, cluster.url.replace(/\/mcp$/, '/admin'));
    const listed = await post(
      cluster.adminUrl,
      { operation: 'keys.list', input: {} },
      {
        authorization: `Bearer ${adminKey}`,
      },
    );
    assert.equal(listed.status, 200);
    assert.deepEqual(((await listed.json()) as { result: { keys: unknown[] } }).result.keys.length, 1);
    const agent = await post(
      cluster.adminUrl,
      { operation: 'keys.list' },
      { authorization: `Bearer ${cluster.apiKey}` },
    );
    assert.equal(agent.status, 403);
  });

  it('refuses the tenant admin key at the MCP endpoint, as an unknown key', async () => {
    const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
    const admin = await post(cluster.url, ping, { authorization: `Bearer ${adminKey}` });
    const unknown = await post(cluster.url, ping, { authorization: `Bearer mcpk_${'C'.repeat(43)}` });
    const [adminText, unknownText] = [await admin.text(), await unknown.text()];
    assert.equal(admin.status, unknown.status, adminText);
    assert.equal(adminText, unknownText);
  });

  it('runs the CLI through it with --endpoint and the key in MCP_CLUSTER_ADMIN_KEY', async () => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(
      ['keys', 'create', '--agent', 'acme-bot', '--scopes', 'weather:read', '--endpoint', cluster.url],
      {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
        stdin: Readable.from([]),
        env: { MCP_CLUSTER_ADMIN_KEY: adminKey },
        cwd: cluster.stateDir,
        now: () => new Date(),
      },
    );
    assert.equal(code, 0, stderr);
    assert.match(stdout, /tenant\s+acme/);
    assert.ok(!stdout.includes(adminKey) && !stderr.includes(adminKey));
  });
});
