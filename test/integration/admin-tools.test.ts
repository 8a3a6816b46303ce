import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { toolModules } from '../../functions/tools/index.generated.js';
import type { AdminError } from '../../shared/admin/admin-error.js';
import { listToolManifests, setEnabled, updatePolicy } from '../../shared/admin/tools.js';
import { createManifestStore } from '../../shared/registry/manifest-store.js';
import { buildSnapshot } from '../../shared/registry/snapshot.js';
import { syncCodeManifests } from '../../shared/registry/sync.js';
import { loadCodeTools } from '../../shared/tools/load-tools.js';
import { type LocalAws, silentLogger, startLocalAws } from '../helpers/aws.js';

const codeTools = loadCodeTools(toolModules);
const weather = codeTools.find((tool) => tool.name === 'get_weather_forecast')!;

const adminError = (code: string) => (error: unknown) => {
  assert.equal((error as AdminError).code, code, (error as Error).message);
  return true;
};

describe('admin: tool policy (dynalite)', () => {
  let aws: LocalAws;

  before(async () => {
    aws = await startLocalAws();
  });
  after(() => aws.stop());

  /** A registry table as a deploy leaves it: the code's tools synced in. */
  async function syncedStore() {
    const store = { client: aws.dynamodb, tableName: await aws.createTable() };
    await syncCodeManifests(store, codeTools);
    return store;
  }

  /** The tools/list an instance would serve to a caller with `scopes`, read from the table as instances read it. */
  async function servedTo(store: { tableName: string }, scopes: string[]): Promise<string[]> {
    const manifests = await createManifestStore({
      client: aws.dynamodb,
      tableName: store.tableName,
      logger: silentLogger,
    }).loadAll();
    const listing = JSON.parse(buildSnapshot(codeTools, manifests, Date.now()).listingFor({ scopes })) as {
      tools: { name: string }[];
    };
    return listing.tools.map((tool) => tool.name).sort();
  }

  it("lists every synced tool by name with the code's scopes and description when no policy overrides them", async () => {
    const store = await syncedStore();
    const tools = await listToolManifests(store);
    assert.deepEqual(
      tools.map((tool) => tool.name),
      codeTools.map((tool) => tool.name).sort(),
    );
    const listed = tools.find((tool) => tool.name === weather.name)!;
    assert.deepEqual(listed, {
      name: weather.name,
      source: 'code',
      enabled: true,
      scopes: [...weather.scopes],
      defaultScopes: [...weather.scopes],
      scopesOverridden: false,
      description: weather.description,
      descriptionOverridden: false,
      rateLimit: null,
      secrets: {},
      tenants: null,
      tenant: null,
      secretFallback: false,
      version: 1,
      updatedAt: listed.updatedAt,
    });
  });

  it('disables a tool: the version goes up, and the served tools/list drops it; enabling brings it back', async () => {
    const store = await syncedStore();
    const now = new Date('2030-05-01T12:00:00Z');
    const disabled = await setEnabled(store, 'calculate', false, { now });
    assert.equal(disabled.enabled, false);
    assert.equal(disabled.version, 2);
    assert.equal(disabled.updatedAt, now.toISOString());
    assert.ok(!(await servedTo(store, ['*'])).includes('calculate'));

    const enabled = await setEnabled(store, 'calculate', true);
    assert.equal(enabled.enabled, true);
    assert.equal(enabled.version, 3);
    assert.ok((await servedTo(store, ['*'])).includes('calculate'));
  });

  it('changes scopes, rate limit and description in one write, and clears each back to the default', async () => {
    const store = await syncedStore();
    const updated = await updatePolicy(store, weather.name, {
      scopes: ['weather:premium'],
      rateLimit: { limit: 60, windowSeconds: 60 },
      description: '  Forecasts for premium agents.  ',
    });
    assert.deepEqual(updated.scopes, ['weather:premium']);
    assert.equal(updated.scopesOverridden, true);
    assert.deepEqual(updated.defaultScopes, [...weather.scopes]);
    assert.deepEqual(updated.rateLimit, { limit: 60, windowSeconds: 60 });
    assert.equal(updated.description, 'Forecasts for premium agents.');
    assert.equal(updated.descriptionOverridden, true);
    assert.equal(updated.version, 2);
    assert.ok(!(await servedTo(store, ['weather:read'])).includes(weather.name));
    assert.ok((await servedTo(store, ['weather:premium'])).includes(weather.name));

    const cleared = await updatePolicy(store, weather.name, { scopes: null, rateLimit: null, description: null });
    assert.deepEqual(cleared.scopes, [...weather.scopes]);
    assert.equal(cleared.scopesOverridden, false);
    assert.equal(cleared.rateLimit, null);
    assert.equal(cleared.description, weather.description);
    assert.equal(cleared.descriptionOverridden, false);
    assert.equal(cleared.version, 3);
    assert.ok((await servedTo(store, ['weather:read'])).includes(weather.name));
  });

  it('makes a tool visible to every caller with an empty scope list', async () => {
    const store = await syncedStore();
    assert.ok(!(await servedTo(store, ['nothing'])).includes('delete_user_account'));
    const open = await updatePolicy(store, 'delete_user_account', { scopes: [] });
    assert.deepEqual(open.scopes, []);
    assert.equal(open.scopesOverridden, true);
    assert.ok((await servedTo(store, ['nothing'])).includes('delete_user_account'));
  });

  it("keeps operators' policy across a redeploy of the code", async () => {
    const store = await syncedStore();
    await setEnabled(store, 'calculate', false);
    await updatePolicy(store, weather.name, { rateLimit: { limit: 5, windowSeconds: 1 }, scopes: ['beta'] });
    await syncCodeManifests(store, codeTools);
    const tools = await listToolManifests(store);
    assert.equal(tools.find((tool) => tool.name === 'calculate')?.enabled, false);
    const listed = tools.find((tool) => tool.name === weather.name)!;
    assert.deepEqual(listed.rateLimit, { limit: 5, windowSeconds: 1 });
    assert.deepEqual(listed.scopes, ['beta']);
  });

  it('refuses a tool that is not in the registry, and creates no item for it', async () => {
    const store = await syncedStore();
    const count = async () =>
      (await aws.dynamodb.send(new ScanCommand({ TableName: store.tableName, Select: 'COUNT' }))).Count;
    const before = await count();
    await assert.rejects(setEnabled(store, 'no_such_tool', false), (error: AdminError) => {
      assert.equal(error.code, 'TOOL_NOT_FOUND');
      assert.match(error.message, /No tool named "no_such_tool"/);
      return true;
    });
    await assert.rejects(
      updatePolicy(store, 'no_such_tool', { rateLimit: { limit: 1, windowSeconds: 1 } }),
      adminError('TOOL_NOT_FOUND'),
    );
    assert.equal(await count(), before);
  });

  it('refuses a bad tool name, a bad scope, a bad rate limit, an empty description and an empty update', async () => {
    const store = await syncedStore();
    await assert.rejects(setEnabled(store, 'has space', false), adminError('INVALID_INPUT'));
    await assert.rejects(updatePolicy(store, weather.name, { scopes: ['a b'] }), adminError('INVALID_INPUT'));
    await assert.rejects(
      updatePolicy(store, weather.name, { rateLimit: { limit: 0, windowSeconds: 60 } }),
      adminError('INVALID_INPUT'),
    );
    await assert.rejects(
      updatePolicy(store, weather.name, { rateLimit: { limit: 1, windowSeconds: 90_000 } }),
      adminError('INVALID_INPUT'),
    );
    await assert.rejects(updatePolicy(store, weather.name, { description: '   ' }), adminError('INVALID_INPUT'));
    await assert.rejects(updatePolicy(store, weather.name, {}), adminError('NOTHING_TO_UPDATE'));
    const listed = (await listToolManifests(store)).find((tool) => tool.name === weather.name)!;
    assert.equal(listed.version, 1);
  });

  it("falls back to the code's defaults for a manifest written without them, and skips malformed manifests", async () => {
    const store = { client: aws.dynamodb, tableName: await aws.createTable() };
    await aws.dynamodb.send(
      new PutItemCommand({
        TableName: store.tableName,
        Item: marshall({ PK: 'TOOL', SK: weather.name, source: 'code', version: 4, enabled: false }),
      }),
    );
    await aws.dynamodb.send(
      new PutItemCommand({
        TableName: store.tableName,
        Item: marshall({ PK: 'TOOL', SK: 'broken', source: 'code', enabled: 'yes' }),
      }),
    );
    const malformed: string[] = [];
    const tools = await listToolManifests(store, { codeTools, onMalformed: (name) => malformed.push(name) });
    assert.deepEqual(malformed, ['broken']);
    assert.equal(tools.length, 1);
    assert.deepEqual(tools[0]?.scopes, [...weather.scopes]);
    assert.equal(tools[0]?.description, weather.description);
    assert.equal(tools[0]?.enabled, false);
    assert.equal(tools[0]?.version, 4);
    const withoutCode = await listToolManifests(store);
    assert.deepEqual(withoutCode[0]?.scopes, []);
    assert.equal(withoutCode[0]?.description, null);
  });
});
