import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { z } from 'zod';
import { ensureAuditTable } from '../../infra/local/dynamodb.js';
import { searchAudit } from '../../shared/admin/audit.js';
import { listTenants, updateTenant } from '../../shared/admin/tenants.js';
import { updatePolicy } from '../../shared/admin/tools.js';
import { createDynamoAuditSink } from '../../shared/audit/dynamo-sink.js';
import { createApiKey } from '../../shared/auth/api-keys.js';
import { loadConfig } from '../../shared/config/config.js';
import { Redactor } from '../../shared/logging/redactor.js';
import { createMcpApp } from '../../shared/mcp/app.js';
import { ERROR_META_KEY } from '../../shared/mcp/call-tool.js';
import type { McpEndpoint } from '../../shared/mcp/endpoint.js';
import { syncCodeManifests } from '../../shared/registry/sync.js';
import { createSecretStore } from '../../shared/secrets/secret-store.js';
import { defineTool } from '../../shared/tools/define-tool.js';
import { captureLogs, type LocalAws, silentLogger, startLocalAws } from '../helpers/aws.js';
import { postMcp } from '../helpers/endpoint.js';

const PREFIX = 'tenants-test/';
/** Canaries: each tenant's credential for the CRM, and the shared one. None may reach another tenant's answers. */
const ACME_SECRET = 'acme-CANARY-7c1f0e9d';
const GLOBEX_SECRET = 'globex-CANARY-2b8a4d6e';
const SHARED_SECRET = 'shared-CANARY-5e3c9a1f';

const fingerprint = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 12);

/** Says which credential it was given, by a fingerprint: the value itself never leaves. */
const crmLookup = defineTool({
  name: 'crm_lookup',
  description: "Looks a customer up in the caller's CRM.",
  input: z.object({ customer: z.string() }),
  annotations: { readOnlyHint: true },
  secrets: { token: 'crm-api' },
  async run({ customer }, ctx) {
    ctx.logger.info('looking up', { customer });
    return `customer ${customer} via credential ${fingerprint(ctx.secrets.token)}`;
  },
});

/** Echoes its credential (a badly written tool): the answer must still never carry another tenant's. */
const leakyTool = defineTool({
  name: 'leaky_echo',
  description: 'Echoes its credential.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  secrets: { token: 'crm-api' },
  async run(_args, ctx) {
    ctx.logger.info(`token is ${ctx.secrets.token}`);
    return `token ${ctx.secrets.token}`;
  },
});

const acmeReport = defineTool({
  name: 'acme_report',
  description: 'A report only acme may run.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  async run() {
    return 'the acme report';
  },
});

/** Echoes its text: what a caller sends comes back as sent, whoever's secret it happens to be. */
const echoText = defineTool({
  name: 'echo_text',
  description: 'Echoes a text.',
  input: z.object({ text: z.string() }),
  annotations: { readOnlyHint: true },
  async run({ text }) {
    return text;
  },
});

const ping = defineTool({
  name: 'ping_tool',
  description: 'Answers pong.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  async run() {
    return 'pong';
  },
});

type ToolResult = {
  isError?: boolean;
  content: { type: string; text: string }[];
  _meta?: Record<string, unknown>;
};

describe('tenants (in process, dynalite + local Secrets Manager)', () => {
  let aws: LocalAws;
  let endpoint: McpEndpoint;
  let registry: { client: LocalAws['dynamodb']; tableName: string };
  let audit: { client: LocalAws['dynamodb']; tableName: string };
  const keys: Record<string, string> = {};
  const logs = captureLogs({ level: 'debug' });

  before(async () => {
    aws = await startLocalAws();
    registry = { client: aws.dynamodb, tableName: await aws.createTable() };
    audit = { client: aws.dynamodb, tableName: `audit-${randomUUID().slice(0, 8)}` };
    await ensureAuditTable(aws.dynamodb, audit.tableName);
    await aws.putSecret(`${PREFIX}acme/crm-api`, ACME_SECRET);
    await aws.putSecret(`${PREFIX}globex/crm-api`, GLOBEX_SECRET);
    await aws.putSecret(`${PREFIX}crm-api`, SHARED_SECRET);
    const codeTools = [crmLookup, leakyTool, acmeReport, echoText, ping];
    await syncCodeManifests(registry, codeTools);
    await updatePolicy(registry, 'acme_report', { tenants: ['acme'] });
    for (const [agent, tenant] of [
      ['acme-bot', 'acme'],
      ['acme-helper', 'acme'],
      ['globex-bot', 'globex'],
      ['initech-bot', 'initech'],
      ['platform-bot', undefined],
    ] as const) {
      keys[agent] = (
        await createApiKey(registry, { agentId: agent, scopes: ['*'], ...(tenant ? { tenant } : {}) })
      ).key;
    }
    endpoint = createMcpApp({
      config: loadConfig({
        REGISTRY_TABLE_NAME: registry.tableName,
        AUDIT_TABLE_NAME: audit.tableName,
        SECRETS_PREFIX: PREFIX,
        REGISTRY_TTL_MS: '0',
      }),
      dynamodb: aws.dynamodb,
      secretsManager: aws.secretsManager,
      codeTools,
      logger: logs.logger,
      audit: createDynamoAuditSink({ ...audit, retentionDays: 1, logger: silentLogger }),
    });
  });
  after(() => aws.stop());
  beforeEach(() => logs.lines.splice(0));

  async function rpc(agent: string, method: string, params: Record<string, unknown>) {
    const response = await postMcp(endpoint, keys[agent]!, { jsonrpc: '2.0', id: 1, method, params });
    assert.equal(response.statusCode, 200, response.body);
    return { body: response.body, ...(JSON.parse(response.body) as { result?: unknown; error?: { message: string } }) };
  }
  const call = async (agent: string, name: string, args: Record<string, unknown> = {}) => {
    const answer = await rpc(agent, 'tools/call', { name, arguments: args });
    return { ...answer, result: answer.result as ToolResult | undefined };
  };
  const toolNames = async (agent: string) =>
    ((await rpc(agent, 'tools/list', {})).result as { tools: { name: string }[] }).tools.map((tool) => tool.name);
  const codeOf = (result: ToolResult | undefined) =>
    (result?._meta?.[ERROR_META_KEY] as { code: string } | undefined)?.code;

  it("calls a shared tool with each tenant's own credential, and the default tenant's with the shared one", async () => {
    assert.match(
      (await call('acme-bot', 'crm_lookup', { customer: 'c-1' })).result!.content[0]!.text,
      new RegExp(fingerprint(ACME_SECRET)),
    );
    assert.match(
      (await call('globex-bot', 'crm_lookup', { customer: 'c-1' })).result!.content[0]!.text,
      new RegExp(fingerprint(GLOBEX_SECRET)),
    );
    assert.match(
      (await call('platform-bot', 'crm_lookup', { customer: 'c-1' })).result!.content[0]!.text,
      new RegExp(fingerprint(SHARED_SECRET)),
    );
  });

  it('refuses a tenant without a credential of its own, naming the binding, unless the tool allows the shared one', async () => {
    const refused = await call('initech-bot', 'crm_lookup', { customer: 'c-2' });
    assert.equal(refused.result!.isError, true);
    assert.equal(codeOf(refused.result), 'SECRET_UNAVAILABLE');
    assert.match(refused.result!.content[0]!.text, /"token".*not configured for your tenant \(initech\)/);
    assert.ok(!refused.body.includes(SHARED_SECRET));

    await updatePolicy(registry, 'crm_lookup', { secretFallback: true });
    try {
      const allowed = await call('initech-bot', 'crm_lookup', { customer: 'c-2' });
      assert.match(allowed.result!.content[0]!.text, new RegExp(fingerprint(SHARED_SECRET)));
      // A tenant with its own credential still gets its own.
      assert.match(
        (await call('acme-bot', 'crm_lookup', { customer: 'c-2' })).result!.content[0]!.text,
        new RegExp(fingerprint(ACME_SECRET)),
      );
    } finally {
      await updatePolicy(registry, 'crm_lookup', { secretFallback: null });
    }
  });

  it("never lets a tenant's credential reach another tenant's answer, logs or audit (canary)", async () => {
    await call('acme-bot', 'leaky_echo'); // acme's credential is now cached in this instance
    logs.lines.splice(0);
    const since = new Date(Date.now() - 1_000).toISOString();
    const globex = await call('globex-bot', 'leaky_echo');
    const globexList = await rpc('globex-bot', 'tools/list', {});
    const globexAudit = await searchAudit(audit, { since, tenant: 'globex' });
    assert.ok(globexAudit.records.length > 0);
    for (const text of [globex.body, globexList.body, logs.lines.join('\n'), JSON.stringify(globexAudit)]) {
      assert.ok(!text.includes(ACME_SECRET), "acme's credential never appears");
      assert.ok(!text.includes(GLOBEX_SECRET), 'nor its own: every known credential is scrubbed');
    }
    assert.ok(!globex.body.includes(fingerprint(ACME_SECRET)));
    // Nor does an answer tell a guess that is another tenant's secret from one that is not: a call is scrubbed of
    // its own secrets only, so an echoed guess comes back as sent either way.
    for (const guess of [ACME_SECRET, 'acme-CANARY-00000000']) {
      const echoed = await call('globex-bot', 'echo_text', { text: guess });
      assert.equal(echoed.result!.content[0]!.text, guess);
    }
  });

  it('shows and runs a tool restricted to a tenant for that tenant only; to the others it is unknown', async () => {
    assert.ok((await toolNames('acme-bot')).includes('acme_report'));
    assert.ok(!(await toolNames('globex-bot')).includes('acme_report'));
    assert.ok(!(await toolNames('platform-bot')).includes('acme_report'));
    assert.equal((await call('acme-bot', 'acme_report')).result!.content[0]!.text, 'the acme report');
    const refused = await call('globex-bot', 'acme_report');
    assert.equal(refused.result, undefined);
    assert.match(refused.error!.message, /^Unknown tool: "acme_report"\./);
    const since = new Date().toISOString();
    const unknown = await call('globex-bot', 'no_such_tool');
    assert.equal(
      refused.error!.message.replace('acme_report', 'X'),
      unknown.error!.message.replace('no_such_tool', 'X'),
      'a tool of another tenant is answered exactly like one that does not exist',
    );
    // ...and recorded so in the tenant's trail, which its admin reads.
    const trail = await searchAudit(audit, {
      since: new Date(Date.parse(since) - 1_000).toISOString(),
      tenant: 'globex',
    });
    const refusedRecord = trail.records.find((record) => record.tool === 'acme_report');
    assert.equal(refusedRecord?.outcome, 'unknown_tool');
  });

  it("limits a tenant's calls across its agents, exactly, without touching other tenants", async () => {
    await updateTenant(registry, 'acme', { rateLimit: { limit: 3, windowSeconds: 3600 }, description: 'Acme Corp' });
    try {
      assert.deepEqual(
        (await listTenants(registry)).map((t) => [t.tenant, t.rateLimit?.limit]),
        [['acme', 3]],
      );
      const results = await Promise.all(
        ['acme-bot', 'acme-helper', 'acme-bot', 'acme-helper', 'acme-bot'].map((agent) => call(agent, 'ping_tool')),
      );
      const refused = results.filter((r) => codeOf(r.result) === 'RATE_LIMITED');
      assert.equal(results.length - refused.length, 3, 'exactly 3 calls of the tenant went through');
      assert.match(refused[0]!.result!.content[0]!.text, /for your tenant \(acme\) across all its agents/);
      assert.equal((await call('globex-bot', 'ping_tool')).result!.content[0]!.text, 'pong');
    } finally {
      await updateTenant(registry, 'acme', { rateLimit: null });
    }
  });

  it("finds a tenant's audit records on the by-tenant index, and only its own", async () => {
    const since = new Date().toISOString();
    await call('globex-bot', 'ping_tool');
    await call('acme-helper', 'ping_tool');
    const globex = await searchAudit(audit, { since, tenant: 'globex' });
    assert.ok(globex.records.length >= 1);
    assert.ok(globex.records.every((record) => record.tenant === 'globex'));
    const acme = await searchAudit(audit, { since, tenant: 'acme', tool: 'ping_tool' });
    assert.deepEqual(
      acme.records.map((record) => [record.agentId, record.tool]),
      [['acme-helper', 'ping_tool']],
    );
    assert.deepEqual((await searchAudit(audit, { since, tenant: 'acme', agentId: 'globex-bot' })).records, []);
  });
});

describe('secret store: tenant-first resolution (local Secrets Manager)', () => {
  let aws: LocalAws;
  before(async () => {
    aws = await startLocalAws();
    await aws.putSecret(`${PREFIX}acme/weather`, 'acme-weather');
    await aws.putSecret(`${PREFIX}weather`, 'shared-weather');
  });
  after(() => aws.stop());

  it("keeps each tenant's value apart in its cache, and remembers a missing one without shadowing the shared", async () => {
    const secrets = createSecretStore({
      client: aws.secretsManager,
      prefix: PREFIX,
      ttlMs: 60_000,
      logger: silentLogger,
      redactor: new Redactor(),
    });
    const binding = { w: 'weather' };
    assert.deepEqual(await secrets.resolve(binding, { tenant: 'acme' }), { w: 'acme-weather' });
    assert.deepEqual(await secrets.resolve(binding), { w: 'shared-weather' });
    assert.deepEqual(await secrets.resolve(binding, { tenant: 'default' }), { w: 'shared-weather' });
    assert.deepEqual(await secrets.resolve(binding, { tenant: 'globex', fallback: true }), { w: 'shared-weather' });
    await assert.rejects(secrets.resolve(binding, { tenant: 'globex' }), { code: 'SECRET_UNAVAILABLE' });
    // A tenant id that cannot name a folder has no secrets of its own (and never reads another path).
    await assert.rejects(secrets.resolve(binding, { tenant: '../acme' }), { code: 'SECRET_UNAVAILABLE' });
    assert.deepEqual(await secrets.resolve(binding, { tenant: 'acme' }), { w: 'acme-weather' });
  });
});
