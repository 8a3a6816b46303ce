/**
 * The scope rules of the direct AdminApi (shared/admin/admin-api.ts), which the admin API runs for every tenant admin:
 * against dynalite and the local Secrets Manager, never mocks.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { ensureAuditTable } from '../../infra/local/dynamodb.js';
import {
  type AdminApi,
  type AdminTargets,
  createDirectAdminApi,
  PLATFORM_SCOPE,
} from '../../shared/admin/admin-api.js';
import type { AdminError } from '../../shared/admin/admin-error.js';
import type { AuditRecord } from '../../shared/audit/audit.js';
import { createDynamoAuditSink } from '../../shared/audit/dynamo-sink.js';
import { createApiKeyVerifier } from '../../shared/auth/api-keys.js';
import { AuthError } from '../../shared/errors/errors.js';
import { syncCodeManifests } from '../../shared/registry/sync.js';
import type { ToolDefinition } from '../../shared/tools/define-tool.js';
import { type LocalAws, silentLogger, startLocalAws } from '../helpers/aws.js';

const PREFIX = 'mcp-cluster/scope-test/';

const refused = (code: string) => (error: unknown) => {
  assert.equal((error as AdminError).code, code, (error as Error).message);
  return true;
};

function auditRecord(tenant: string, agentId: string, time: string): AuditRecord {
  return {
    time,
    requestId: randomUUID(),
    agentId,
    tenant,
    credentialId: `key_${agentId}`,
    tool: 'calculate',
    outcome: 'success',
    latencyMs: 2,
    argumentsDigest: 'sha256:0',
  };
}

describe('admin: tenant scope (dynalite, local Secrets Manager)', () => {
  let aws: LocalAws;
  let targets: AdminTargets;
  let platform: AdminApi;
  let acme: AdminApi;
  let globex: AdminApi;

  before(async () => {
    aws = await startLocalAws();
    const registry = { client: aws.dynamodb, tableName: await aws.createTable() };
    const audit = { client: aws.dynamodb, tableName: `audit-${randomUUID().slice(0, 8)}` };
    await ensureAuditTable(aws.dynamodb, audit.tableName);
    targets = {
      registry: () => registry,
      audit: () => audit,
      secrets: () => ({ client: aws.secretsManager, prefix: PREFIX }),
    };
    platform = createDirectAdminApi(targets, PLATFORM_SCOPE);
    acme = createDirectAdminApi(targets, { kind: 'tenant', tenant: 'acme' });
    globex = createDirectAdminApi(targets, { kind: 'tenant', tenant: 'globex' });
    const calculate = { name: 'calculate', scopes: [], description: 'Adds.' } as unknown as ToolDefinition;
    await syncCodeManifests(registry, [calculate], new Date());
    for (const tenant of ['acme', 'globex']) {
      await createDirectAdminApi(targets, PLATFORM_SCOPE).updateTenant({
        tenant,
        update: { grantableScopes: ['calc'] },
      });
    }
    const sink = createDynamoAuditSink({
      client: aws.dynamodb,
      tableName: audit.tableName,
      retentionDays: 1,
      logger: silentLogger,
    });
    const now = Date.now();
    await sink.record(auditRecord('acme', 'acme-bot', new Date(now - 60_000).toISOString()));
    await sink.record(auditRecord('globex', 'globex-bot', new Date(now - 50_000).toISOString()));
    await sink.record(auditRecord('default', 'platform-bot', new Date(now - 40_000).toISOString()));
  });
  after(() => aws.stop());

  describe('keys', () => {
    it('lets the platform operator make a tenant admin key, which verifies only as an admin credential', async () => {
      const { key, summary } = await platform.createKey({
        agentId: 'acme-admin',
        tenant: 'acme',
        role: 'tenant-admin',
      });
      assert.equal(summary.role, 'tenant-admin');
      assert.deepEqual(summary.scopes, []);
      const table = targets.registry();
      const asAgent = createApiKeyVerifier({ ...table, ttlMs: 0, logger: silentLogger });
      await assert.rejects(asAgent.verify(key), (error: unknown) => {
        assert.ok(error instanceof AuthError);
        assert.equal(error.reason, 'invalid_token');
        assert.equal(error.message, 'The API key is invalid, expired or revoked.');
        return true;
      });
      const asAdmin = createApiKeyVerifier({ ...table, ttlMs: 0, logger: silentLogger, role: 'tenant-admin' });
      assert.equal((await asAdmin.verify(key)).tenant, 'acme');
    });

    it('refuses admin keys for the default tenant, with scopes, or for a tenant with a slash', async () => {
      await assert.rejects(
        platform.createKey({ agentId: 'a', tenant: 'default', role: 'tenant-admin' }),
        refused('INVALID_INPUT'),
      );
      await assert.rejects(platform.createKey({ agentId: 'a', role: 'tenant-admin' }), refused('INVALID_INPUT'));
      await assert.rejects(
        platform.createKey({ agentId: 'a', tenant: 'acme', role: 'tenant-admin', scopes: ['*'] }),
        refused('INVALID_INPUT'),
      );
      await assert.rejects(
        platform.createKey({ agentId: 'a', tenant: 'acme/sub', role: 'tenant-admin' }),
        refused('INVALID_INPUT'),
      );
    });

    it('makes a tenant admin create keys of its own tenant only, and never admin keys', async () => {
      const own = await acme.createKey({ agentId: 'acme-bot', scopes: ['calc'] });
      assert.equal(own.summary.tenant, 'acme');
      assert.equal(own.summary.role, 'agent');
      await assert.rejects(
        acme.createKey({ agentId: 'sneaky', scopes: ['calc'], tenant: 'globex' }),
        (error: unknown) =>
          refused('ADMIN_FORBIDDEN')(error) && /acme only, not for globex/.test((error as Error).message),
      );
      await assert.rejects(
        acme.createKey({ agentId: 'sneaky', tenant: 'acme', role: 'tenant-admin' }),
        refused('ADMIN_FORBIDDEN'),
      );
    });

    it('lets a tenant admin grant only the scopes the platform operator let it grant', async () => {
      for (const scopes of [['*'], ['calc', 'users:admin']]) {
        await assert.rejects(
          acme.createKey({ agentId: 'wide', scopes }),
          (error: unknown) =>
            refused('ADMIN_FORBIDDEN')(error) && /acme's admin may grant calc only/.test((error as Error).message),
        );
      }
      const platform = createDirectAdminApi(targets, PLATFORM_SCOPE);
      await platform.updateTenant({ tenant: 'initech', update: { description: 'no grants yet' } });
      const initech = createDirectAdminApi(targets, { kind: 'tenant', tenant: 'initech' });
      await assert.rejects(
        initech.createKey({ agentId: 'bot', scopes: ['calc'] }),
        (error: unknown) => refused('ADMIN_FORBIDDEN')(error) && /--grantable-scopes/.test((error as Error).message),
      );
      await platform.updateTenant({ tenant: 'initech', update: { grantableScopes: ['*'] } });
      assert.deepEqual((await initech.createKey({ agentId: 'bot', scopes: ['*'] })).summary.scopes, ['*']);
      await assert.rejects(
        initech.updateTenant({ tenant: 'initech', update: { grantableScopes: ['*'] } }),
        refused('ADMIN_FORBIDDEN'),
      );
      assert.deepEqual((await initech.showTenant({ tenant: 'initech' })).grantableScopes, ['*']);
    });

    it("lists only the tenant's keys, and revokes another tenant's key as if it did not exist", async () => {
      const globexKey = await globex.createKey({ agentId: 'globex-bot', scopes: ['calc'] });
      const listed = await acme.listKeys({});
      assert.ok(listed.keys.length >= 2);
      assert.ok(listed.keys.every((key) => key.tenant === 'acme'));
      const unknown = await acme.revokeKey({ keyId: 'key_0000000000000000' }).catch((error: AdminError) => error);
      const foreign = await acme.revokeKey({ keyId: globexKey.summary.keyId }).catch((error: AdminError) => error);
      assert.equal((foreign as AdminError).code, 'KEY_NOT_FOUND');
      assert.equal(
        (foreign as AdminError).message.replace(globexKey.summary.keyId, 'ID'),
        (unknown as AdminError).message.replace('key_0000000000000000', 'ID'),
      );
      // The key itself (not only its id) is refused the same way, and the key still works.
      await assert.rejects(acme.revokeKey({ keyId: globexKey.key }), refused('KEY_NOT_FOUND'));
      const still = (await globex.listKeys({})).keys.find((key) => key.keyId === globexKey.summary.keyId);
      assert.equal(still?.status, 'active');
      assert.equal((await globex.revokeKey({ keyId: globexKey.summary.keyId })).status, 'revoked');
    });
  });

  describe('secrets', () => {
    const storedValue = async (name: string) =>
      (await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: name }))).SecretString;

    it("stores a tenant admin's secret under <prefix><tenant>/, and the platform's under the prefix", async () => {
      const stored = await acme.putSecret({ name: 'weather-api', value: 'acme-value' });
      assert.equal(stored.name, `${PREFIX}acme/weather-api`);
      assert.equal(await storedValue(`${PREFIX}acme/weather-api`), 'acme-value');
      const shared = await platform.putSecret({ name: 'weather-api', value: 'shared-value' });
      assert.equal(shared.name, `${PREFIX}weather-api`);
      assert.deepEqual(await acme.secretState({ name: 'weather-api' }), {
        name: `${PREFIX}acme/weather-api`,
        state: 'stored',
      });
      assert.equal((await globex.secretState({ name: 'weather-api' })).state, 'missing');
    });

    it('never writes outside the tenant path, whatever the name', async () => {
      await platform.putSecret({ name: 'globex/billing', value: 'globex-value' });
      await assert.rejects(
        acme.putSecret({ name: `${PREFIX}globex/billing`, value: 'stolen' }),
        refused('ADMIN_FORBIDDEN'),
      );
      await assert.rejects(acme.putSecret({ name: `${PREFIX}weather-api`, value: 'x' }), refused('ADMIN_FORBIDDEN'));
      await assert.rejects(acme.putSecret({ name: '../globex/billing', value: 'x' }), refused('INVALID_INPUT'));
      // A name that looks like another tenant's path is the tenant's own, below its prefix.
      assert.equal(
        (await acme.putSecret({ name: 'globex/billing', value: 'mine' })).name,
        `${PREFIX}acme/globex/billing`,
      );
      assert.equal(await storedValue(`${PREFIX}globex/billing`), 'globex-value');
      assert.equal(await storedValue(`${PREFIX}weather-api`), 'shared-value');
      // Its own full name is accepted.
      assert.equal(
        (await acme.putSecret({ name: `${PREFIX}acme/weather-api`, value: 'v2' })).name,
        `${PREFIX}acme/weather-api`,
      );
      await assert.rejects(
        aws.secretsManager.send(new GetSecretValueCommand({ SecretId: `${PREFIX}acme/${PREFIX}globex/billing` })),
        ResourceNotFoundException,
      );
    });
  });

  describe('audit', () => {
    it("gives a tenant admin only its tenant's records, and the platform every record", async () => {
      const since = new Date(Date.now() - 3_600_000).toISOString();
      const mine = await acme.searchAudit({ since });
      assert.deepEqual(
        mine.records.map((record) => record.agentId),
        ['acme-bot'],
      );
      const other = await acme.searchAudit({ since, agentId: 'globex-bot' });
      assert.deepEqual(other.records, []);
      const all = await platform.searchAudit({ since });
      assert.deepEqual(all.records.map((record) => record.tenant).sort(), ['acme', 'default', 'globex']);
    });
  });

  describe('tools', () => {
    it('lets a tenant admin list and show the shared tools', async () => {
      const { items } = await acme.listItems({ kind: 'tool' });
      assert.deepEqual(
        items.map((tool) => tool.name),
        ['calculate'],
      );
      assert.equal((await acme.showTool({ name: 'calculate' })).SK, 'calculate');
    });

    it('refuses a tenant admin any change to shared tools, resources and prompts, and writes nothing', async () => {
      await assert.rejects(
        acme.updatePolicy({ kind: 'tool', name: 'calculate', update: { description: 'Mine now.' } }),
        (error: unknown) =>
          refused('ADMIN_FORBIDDEN')(error) && /only the platform operator/.test((error as Error).message),
      );
      await assert.rejects(
        acme.setEnabled({ kind: 'tool', name: 'calculate', enabled: false }),
        refused('ADMIN_FORBIDDEN'),
      );
      await assert.rejects(
        acme.setEnabled({ kind: 'resource', name: 'user_profile', enabled: false }),
        refused('ADMIN_FORBIDDEN'),
      );
      await assert.rejects(
        acme.updatePolicy({ kind: 'prompt', name: 'weather_briefing', update: { scopes: [] } }),
        refused('ADMIN_FORBIDDEN'),
      );
      await assert.rejects(acme.removeHttpTool({ name: 'calculate' }), refused('ADMIN_FORBIDDEN'));
      await assert.rejects(acme.listItems({ kind: 'tool', tenant: 'globex' }), refused('ADMIN_FORBIDDEN'));
      const tool = (await platform.listItems({ kind: 'tool' })).items.find((item) => item.name === 'calculate')!;
      assert.equal(tool.enabled, true);
      assert.equal(tool.version, 1);
    });

    const invoices = (path: string) => ({
      name: 'invoices',
      description: 'Lists invoices.',
      http: {
        inputSchema: { type: 'object' as const, properties: {} },
        request: { method: 'GET' as const, url: `https://billing.example.com${path}` },
        auth: { type: 'bearer' as const, secret: 'billing-api' },
      },
    });

    it("lets each tenant admin add, change and remove its own tools under one name, never the other's", async () => {
      const added = await acme.putHttpTool({ tool: invoices('/acme') });
      assert.equal(added.manifest.SK, '@acme/invoices');
      assert.equal(added.manifest.tenant, 'acme');
      await globex.putHttpTool({ tool: invoices('/globex') });
      // A shared tool restricted to both: each admin sees the restriction as naming its own tenant only.
      await platform.putHttpTool({ tool: { ...invoices('/shared'), name: 'ledger' } });
      await platform.updatePolicy({ kind: 'tool', name: 'ledger', update: { tenants: ['acme', 'globex'] } });
      const ledger = (await acme.listItems({ kind: 'tool' })).items.find((item) => item.name === 'ledger');
      assert.deepEqual(ledger?.tenants, ['acme']);
      assert.deepEqual((await globex.showTool({ name: 'ledger' })).tenants, ['globex']);
      await platform.removeHttpTool({ name: 'ledger' });
      const acmeTools = (await acme.listItems({ kind: 'tool' })).items;
      assert.deepEqual(
        acmeTools.map((item) => [item.name, item.tenant]),
        [
          ['calculate', null],
          ['invoices', 'acme'],
        ],
      );
      assert.equal((await acme.showTool({ name: 'invoices' })).http?.request.url, 'https://billing.example.com/acme');
      const changed = await acme.updatePolicy({
        kind: 'tool',
        name: 'invoices',
        update: { rateLimit: { limit: 5, windowSeconds: 60 } },
      });
      assert.equal(changed.tenant, 'acme');
      await assert.rejects(
        acme.updatePolicy({ kind: 'tool', name: 'invoices', update: { tenants: ['globex'] } }),
        refused('ADMIN_FORBIDDEN'),
      );
      await assert.rejects(
        platform.updatePolicy({ kind: 'tool', name: 'invoices', tenant: 'acme', update: { secretFallback: true } }),
        refused('INVALID_INPUT'),
        "a tenant's own tool reads its tenant's secrets only, whoever asks",
      );
      await assert.rejects(acme.removeHttpTool({ name: 'invoices', tenant: 'globex' }), refused('ADMIN_FORBIDDEN'));
      // The platform sees both, each under its tenant.
      const all = (await platform.listItems({ kind: 'tool' })).items.filter((item) => item.name === 'invoices');
      assert.deepEqual(
        all.map((item) => item.tenant),
        ['acme', 'globex'],
      );
      assert.equal((await globex.removeHttpTool({ name: 'invoices' })).SK, '@globex/invoices');
      assert.equal(
        (await globex.listItems({ kind: 'tool' })).items.some((item) => item.name === 'invoices'),
        false,
      );
      assert.equal((await acme.showTool({ name: 'invoices' })).SK, '@acme/invoices', "acme's is still there");
      await assert.rejects(globex.showTool({ name: 'invoices' }), refused('TOOL_NOT_FOUND'));
    });

    it("imports an OpenAPI document as the tenant's own tools, compared with its own tools only", async () => {
      const imported = {
        importedFrom: 'openapi:billing',
        tools: [
          {
            ...invoices('/v2'),
            name: 'billing_list',
            http: { ...invoices('/v2').http, importedFrom: 'openapi:billing' },
          },
        ],
        allNames: ['billing_list'],
        warnings: [],
      };
      const outcome = await globex.importOpenApi({ imported });
      assert.equal(outcome.written, true);
      assert.deepEqual(
        outcome.plan.add.map((tool) => tool.name),
        ['billing_list'],
      );
      assert.equal((await globex.showTool({ name: 'billing_list' })).SK, '@globex/billing_list');
      await assert.rejects(acme.showTool({ name: 'billing_list' }), refused('TOOL_NOT_FOUND'));
      const again = await globex.importOpenApi({ imported, dryRun: true });
      assert.deepEqual(again.plan.unchanged, ['billing_list']);
    });
  });
});
