import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { runCli } from '../../infra/cli/cli.js';
import { issueApiKey } from '../../shared/admin/api-keys.js';
import { putHttpTool } from '../../shared/admin/http-tools.js';
import { putSecret } from '../../shared/admin/secrets.js';
import { updateTenant } from '../../shared/admin/tenants.js';
import { updatePolicy } from '../../shared/admin/tools.js';
import { createApiKey } from '../../shared/auth/api-keys.js';
import type { HttpToolSpec } from '../../shared/http-tools/spec.js';
import {
  awaitAuditRecords,
  type ConnectedClient,
  connectClient,
  sleep,
  startTestCluster,
  type TestCluster,
} from '../helpers/cluster.js';
import { json, startUpstream, type Upstream } from '../helpers/upstream.js';

/** Each tenant's key for the CRM upstream: canaries that must reach that tenant's calls only. */
const CRM_KEYS = {
  acme: `acme-crm-${Math.random().toString(36).slice(2)}`,
  globex: `globex-crm-${Math.random().toString(36).slice(2)}`,
};
const TENANT_LIMIT = 4;

type Result = CallToolResult;
const errorCode = (result: Result) => (result._meta?.['mcp-cluster/error'] as { code?: string } | undefined)?.code;

/** The admin CLI as a tenant admin runs it: through the cluster's admin API, the key in MCP_CLUSTER_ADMIN_KEY. */
async function tenantCli(url: string, adminKey: string, args: string[], input?: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...args, '--endpoint', url], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from(input === undefined ? [] : [input]),
    env: { MCP_CLUSTER_ADMIN_KEY: adminKey },
    cwd: process.cwd(),
    now: () => new Date(),
  });
  return { code, stdout, stderr };
}

/** A client of the MCP SDK v2, pinned to 2026-07-28: the era where every request is stateless. */
async function modernClient(url: string, key: string): Promise<Client> {
  const client = new Client(
    { name: 'tenants-e2e', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }),
  );
  return client;
}

describe('two tenants on one cluster (2 workers), through MCP clients of both eras', () => {
  let cluster: TestCluster;
  let crm: Upstream;
  let acme: ConnectedClient; // the 1.x SDK: 2025-11-25, initialize and a session id the cluster ignores
  let initech: ConnectedClient[]; // two agents of a tenant with a limit
  let globex: Client; // the v2 SDK: 2026-07-28
  const seenKeys: string[] = [];
  const admins: Record<'acme' | 'globex', string> = { acme: '', globex: '' };
  const since = new Date().toISOString();

  const call = async (client: Client | ConnectedClient['client'], name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as Result;
  const text = (result: Result) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  const names = async (client: Client | ConnectedClient['client']) =>
    (await client.listTools()).tools.map((tool) => tool.name);

  before(async () => {
    crm = await startUpstream(async (req, res) => {
      seenKeys.push(String(req.headers.authorization));
      json(res, 200, { path: req.path, customer: req.query.get('q') });
    });
    cluster = await startTestCluster({ env: { REGISTRY_TTL_MS: '200', SECRETS_TTL_MS: '200' } });
    const registry = { client: cluster.dynamodb, tableName: cluster.tableName };
    const secrets = { client: cluster.secretsManager, prefix: cluster.secretsPrefix };
    const spec = (path: string): HttpToolSpec => ({
      inputSchema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      request: { method: 'GET', url: `${crm.url}${path}?q={q}` },
      auth: { type: 'bearer', secret: 'crm-api' },
    });
    // One shared tool; each tenant stores its own credential for it, and has its own tool of one name.
    await putHttpTool(registry, {
      name: 'crm_search',
      description: "Searches the caller's CRM.",
      http: spec('/search'),
    });
    await putHttpTool(registry, { name: 'acme_ledger', description: "Acme's ledger.", http: spec('/ledger') });
    await updatePolicy(registry, 'acme_ledger', { tenants: ['acme'] });
    for (const tenant of ['acme', 'globex'] as const) {
      await putSecret(secrets, `${tenant}/crm-api`, CRM_KEYS[tenant]);
      await putHttpTool(
        registry,
        { name: 'invoices', description: `${tenant}'s invoices.`, http: spec(`/${tenant}/invoices`) },
        { tenant },
      );
    }
    await updateTenant(registry, 'initech', { rateLimit: { limit: TENANT_LIMIT, windowSeconds: 60 } });
    const key = async (agentId: string, tenant: string) =>
      (await createApiKey(registry, { agentId, tenant, scopes: ['*'] })).key;
    acme = await connectClient(cluster.url, await key('acme-agent', 'acme'));
    initech = [
      await connectClient(cluster.url, await key('initech-agent', 'initech')),
      await connectClient(cluster.url, await key('initech-helper', 'initech')),
    ];
    globex = await modernClient(cluster.url, await key('globex-agent', 'globex'));
    for (const tenant of ['acme', 'globex'] as const) {
      admins[tenant] = (
        await issueApiKey(registry, { agentId: `${tenant}-admin`, tenant, role: 'tenant-admin', scopes: [] })
      ).key;
    }
  });
  after(async () => {
    await Promise.allSettled([acme?.client.close(), ...(initech ?? []).map((c) => c.client.close()), globex?.close()]);
    await cluster?.dispose();
    await crm?.close();
  });

  it("sends each tenant's own key to the upstream of the shared tool", async () => {
    seenKeys.length = 0;
    assert.equal((await call(acme.client, 'crm_search', { q: 'c-1' })).isError, undefined);
    assert.equal((await call(globex, 'crm_search', { q: 'c-1' })).isError, undefined);
    assert.deepEqual(seenKeys, [`Bearer ${CRM_KEYS.acme}`, `Bearer ${CRM_KEYS.globex}`]);
  });

  it('serves each tenant its own tool under one name, and hides a tool restricted to a tenant from the other', async () => {
    assert.match(text(await call(acme.client, 'invoices', { q: 'x' })), /"path":"\/acme\/invoices"/);
    assert.match(text(await call(globex, 'invoices', { q: 'x' })), /"path":"\/globex\/invoices"/);
    const acmeTools = await names(acme.client);
    const globexTools = await names(globex);
    assert.ok(acmeTools.includes('acme_ledger') && acmeTools.includes('invoices'));
    assert.ok(!globexTools.includes('acme_ledger'));
    assert.equal(globexTools.filter((name) => name === 'invoices').length, 1);
    await assert.rejects(call(globex, 'acme_ledger', { q: 'x' }), /Unknown tool: "acme_ledger"/);
    assert.ok(acme.workers.length > 0 && new Set(acme.workers).size === 2, 'the calls landed on both workers');
  });

  it(`lets exactly ${TENANT_LIMIT} of a tenant's calls a minute through, across its agents and both workers`, async () => {
    // The limit counts fixed one-minute windows: a burst is sent well inside one.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 55_000) await sleep(60_500 - intoMinute);
    const started = new Date().toISOString();
    const results = await Promise.all(
      Array.from({ length: TENANT_LIMIT + 3 }, (_, i) => call(initech[i % 2]!.client, 'get_current_time', {})),
    );
    assert.equal(results.filter((result) => !result.isError).length, TENANT_LIMIT);
    const limited = results.filter((result) => errorCode(result) === 'RATE_LIMITED');
    assert.equal(limited.length, 3);
    assert.match(text(limited[0]!), /for your tenant \(initech\) across all its agents/);
    assert.equal(new Set(initech.flatMap((client) => client.workers)).size, 2, 'on both workers');
    assert.equal((await call(globex, 'get_current_time', {})).isError, undefined, 'another tenant is not limited');
    const records = await awaitAuditRecords(cluster, { since: started, tenant: 'initech' }, results.length);
    assert.deepEqual(records.map((record) => record.outcome).sort(), [
      ...Array(3).fill('rate_limited'),
      ...Array(TENANT_LIMIT).fill('success'),
    ]);
  });

  it("keeps every tenant's key out of the other tenant's answers and audit trail", async () => {
    const answer = JSON.stringify(await call(globex, 'crm_search', { q: 'c-2' }));
    const globexAudit = await awaitAuditRecords(cluster, { since, tenant: 'globex' }, 1);
    for (const textOf of [answer, JSON.stringify(globexAudit), acme.bodies.join('\n')]) {
      assert.ok(!textOf.includes(CRM_KEYS.acme) && !textOf.includes(CRM_KEYS.globex));
    }
    assert.ok(!cluster.logs.join('\n').includes(CRM_KEYS.acme), 'nor a log line');
  });

  it("lets a tenant admin manage its own keys, credentials and audit, and nothing of the other tenant's", async () => {
    // globex's admin lists globex's keys only, and reads globex's audit trail only.
    const keys = await tenantCli(cluster.url, admins.globex, ['keys', 'list', '--json']);
    assert.equal(keys.code, 0, keys.stderr);
    const listed = (JSON.parse(keys.stdout) as { keys: { tenant: string; agentId: string; keyId: string }[] }).keys;
    assert.deepEqual([...new Set(listed.map((k) => k.tenant))], ['globex']);
    const audit = await tenantCli(cluster.url, admins.globex, ['audit', 'query', '--since', '1h', '--json']);
    assert.equal(audit.code, 0, audit.stderr);
    const records = (JSON.parse(audit.stdout) as { records: { tenant: string }[] }).records;
    assert.ok(records.length > 0 && records.every((record) => record.tenant === 'globex'));
    // What is acme's is refused, or answered as if it did not exist.
    const acmeAudit = await tenantCli(cluster.url, admins.globex, ['audit', 'query', '--tenant', 'acme']);
    assert.equal(acmeAudit.code, 1);
    assert.match(acmeAudit.stderr, /reads globex's audit records only/);
    const acmeKeys = await tenantCli(cluster.url, admins.acme, ['keys', 'list', '--json']);
    const acmeKey = (JSON.parse(acmeKeys.stdout) as { keys: { keyId: string; agentId: string }[] }).keys.find(
      (k) => k.agentId === 'acme-agent',
    )!;
    const revoke = await tenantCli(cluster.url, admins.globex, ['keys', 'revoke', acmeKey.keyId]);
    assert.equal(revoke.code, 1);
    assert.match(revoke.stderr, new RegExp(`No API key with id ${acmeKey.keyId}\\.`));
    const shared = await tenantCli(cluster.url, admins.globex, ['tools', 'disable', 'crm_search']);
    assert.equal(shared.code, 1);
    assert.match(shared.stderr, /only the platform operator/);
    assert.equal((await call(acme.client, 'crm_search', { q: 'still-works' })).isError, undefined);

    // acme's admin rotates acme's credential for the shared tool: acme's calls use it, globex's keep theirs.
    const rotated = `acme-crm-rotated-${Math.random().toString(36).slice(2)}`;
    const put = await tenantCli(cluster.url, admins.acme, ['secrets', 'put', 'crm-api'], rotated);
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, new RegExp(`${cluster.secretsPrefix}acme/crm-api`));
    assert.ok(!put.stdout.includes(rotated) && !put.stderr.includes(rotated));
    await sleep(400); // SECRETS_TTL_MS
    seenKeys.length = 0;
    await call(acme.client, 'crm_search', { q: 'c-3' });
    await call(globex, 'crm_search', { q: 'c-3' });
    assert.deepEqual(seenKeys, [`Bearer ${rotated}`, `Bearer ${CRM_KEYS.globex}`]);
  });
});
