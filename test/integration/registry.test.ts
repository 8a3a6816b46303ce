import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { createManifestStore } from '../../shared/registry/manifest-store.js';
import { createRegistry } from '../../shared/registry/registry.js';
import { buildSnapshot, RegistrySnapshot } from '../../shared/registry/snapshot.js';
import { TOOL_PARTITION } from '../../shared/store/tool-manifests.js';
import { defineTool } from '../../shared/tools/define-tool.js';
import {
  captureLogs,
  closedPortUrl,
  createRegistryTable,
  dynamoDbClient,
  type LocalAws,
  manualClock,
  silentLogger,
  startLocalAws,
  startLocalDynamo,
} from '../helpers/aws.js';

const echo = defineTool({
  name: 'echo',
  description: 'Repeats the text it is given.',
  input: z.object({ text: z.string() }),
  run: async ({ text }) => text,
});

const forecast = defineTool({
  name: 'forecast',
  description: 'Weather forecast for a city.',
  input: z.object({ city: z.string() }),
  scopes: ['weather'],
  secrets: { apiKey: 'weather-api' },
  run: async ({ city }) => `sunny in ${city}`,
});

const purge = defineTool({
  name: 'purge_account',
  description: 'Deletes an account for good.',
  input: z.object({ accountId: z.string() }),
  scopes: ['admin'],
  run: async () => 'purged',
});

const codeTools = [echo, forecast, purge];

const weatherAgent = { scopes: ['weather'] };
const nobody = { scopes: [] as string[] };
const admin = { scopes: ['*'] };

type ListedTool = { name: string; description: string; inputSchema: { properties: Record<string, unknown> } };
const listed = (json: string) => (JSON.parse(json) as { tools: ListedTool[] }).tools;
const namesIn = (json: string) => listed(json).map((tool) => tool.name);

describe('registry (dynalite)', () => {
  let aws: LocalAws;

  before(async () => {
    aws = await startLocalAws();
  });
  after(() => aws.stop());

  async function putManifest(tableName: string, name: string, fields: Record<string, unknown> = {}) {
    await aws.dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({ PK: TOOL_PARTITION, SK: name, source: 'code', version: 1, ...fields }),
      }),
    );
  }

  async function disable(tableName: string, name: string) {
    await aws.dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { PK: { S: TOOL_PARTITION }, SK: { S: name } },
        UpdateExpression: 'SET enabled = :false',
        ExpressionAttributeValues: { ':false': { BOOL: false } },
      }),
    );
  }

  /** The snapshot built from what a fresh table holds after `seed`. */
  async function snapshotAfter(seed: (tableName: string) => Promise<void>) {
    const tableName = await aws.createTable();
    await seed(tableName);
    const store = createManifestStore({ client: aws.dynamodb, tableName, logger: silentLogger });
    return buildSnapshot(codeTools, await store.loadAll(), Date.now());
  }

  describe('manifest store', () => {
    it('reads every manifest, across pages', async () => {
      const tableName = await aws.createTable();
      const padding = 'x'.repeat(60_000); // 30 items of ~60 KB: more than one 1 MB page
      for (let i = 0; i < 30; i++) await putManifest(tableName, `tool_${i}`, { defaultDescription: padding });

      const firstPage = await aws.dynamodb.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': { S: TOOL_PARTITION } },
        }),
      );
      assert.ok(firstPage.LastEvaluatedKey, 'the data spans more than one page');

      const manifests = await createManifestStore({ client: aws.dynamodb, tableName, logger: silentLogger }).loadAll();
      assert.equal(manifests.size, 30);
      assert.deepEqual([...manifests.keys()].sort(), Array.from({ length: 30 }, (_, i) => `tool_${i}`).sort());
      assert.equal(manifests.get('tool_7')?.enabled, true, 'absent enabled means enabled');
    });

    it('skips a malformed manifest with a warning and keeps the others', async () => {
      const tableName = await aws.createTable();
      await putManifest(tableName, 'good');
      await putManifest(tableName, 'bad', { enabled: 'yes', version: -3 });
      const logs = captureLogs();
      const manifests = await createManifestStore({ client: aws.dynamodb, tableName, logger: logs.logger }).loadAll();
      assert.deepEqual([...manifests.keys()], ['good']);
      const warning = logs.entries().find((entry) => entry.level === 'warn');
      assert.equal(warning?.message, 'skipping malformed tool manifest');
      assert.equal(warning?.tool, 'bad');
    });

    it('ignores items of other partitions, such as API keys', async () => {
      const tableName = await aws.createTable();
      await putManifest(tableName, 'echo');
      await aws.dynamodb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: marshall({ PK: 'APIKEY#abc', SK: 'APIKEY', keyId: 'k', agentId: 'a', scopes: [], createdAt: 'now' }),
        }),
      );
      const manifests = await createManifestStore({ client: aws.dynamodb, tableName, logger: silentLogger }).loadAll();
      assert.deepEqual([...manifests.keys()], ['echo']);
    });
  });

  describe('snapshot', () => {
    it('serves a code tool that has no manifest yet with the code defaults', async () => {
      const snapshot = await snapshotAfter(async () => {});
      const tool = snapshot.callable('forecast', weatherAgent);
      assert.equal(tool?.description, 'Weather forecast for a city.');
      assert.deepEqual(tool?.scopes, ['weather']);
      assert.deepEqual(tool?.secrets, { apiKey: 'weather-api' });
      assert.equal(tool?.version, 0);
    });

    it('hides a disabled tool from the listing and from calls, even for a key holding every scope', async () => {
      const snapshot = await snapshotAfter((t) => putManifest(t, 'echo', { enabled: false }));
      assert.ok(!namesIn(snapshot.listingFor(admin)).includes('echo'));
      assert.equal(snapshot.callable('echo', admin), undefined);
      assert.equal(snapshot.has('echo'), false);
    });

    it('lets the manifest scopes replace the code scopes', async () => {
      const snapshot = await snapshotAfter((t) => putManifest(t, 'forecast', { scopes: ['weather', 'premium'] }));
      assert.equal(snapshot.callable('forecast', weatherAgent), undefined);
      assert.ok(snapshot.callable('forecast', { scopes: ['premium', 'weather'] }));
      assert.deepEqual(namesIn(snapshot.listingFor(weatherAgent)), ['echo']);
    });

    it('puts a description override in the listing JSON', async () => {
      const snapshot = await snapshotAfter((t) =>
        putManifest(t, 'echo', { description: 'Echo, as rewritten by an operator.', version: 4 }),
      );
      const entry = listed(snapshot.listingFor(nobody)).find((tool) => tool.name === 'echo');
      assert.equal(entry?.description, 'Echo, as rewritten by an operator.');
      assert.deepEqual(Object.keys(entry?.inputSchema.properties ?? {}), ['text'], 'the schema still comes from code');
      assert.equal(snapshot.callable('echo', nobody)?.version, 4);
    });

    it('rebinds only secret bindings the code declares', async () => {
      const snapshot = await snapshotAfter((t) =>
        putManifest(t, 'forecast', { secrets: { apiKey: 'weather-api-eu', dbPassword: 'prod-db' } }),
      );
      assert.deepEqual(snapshot.callable('forecast', weatherAgent)?.secrets, { apiKey: 'weather-api-eu' });
    });

    it('does not serve a manifest that has no code behind it', async () => {
      const snapshot = await snapshotAfter((t) => putManifest(t, 'ghost_tool'));
      assert.equal(snapshot.callable('ghost_tool', admin), undefined);
      assert.ok(!namesIn(snapshot.listingFor(admin)).includes('ghost_tool'));
      assert.equal(snapshot.size, 3);
    });

    it('lists exactly the tools a set of scopes permits', async () => {
      const snapshot = await snapshotAfter(async () => {});
      assert.deepEqual(namesIn(snapshot.listingFor(nobody)), ['echo']);
      assert.deepEqual(namesIn(snapshot.listingFor(weatherAgent)), ['echo', 'forecast']);
      assert.deepEqual(namesIn(snapshot.listingFor(admin)), ['echo', 'forecast', 'purge_account']);
    });

    it('computes the listing once per scope set, whatever the order of the scopes', async () => {
      const built = await snapshotAfter(async () => {});
      // The same tools, each counting how often its listing entry is read: equal strings prove nothing on their own.
      let reads = 0;
      const counted = [...built.tools()].map((tool) => ({
        ...tool,
        get listingJson() {
          reads++;
          return tool.listingJson;
        },
      }));
      const snapshot = new RegistrySnapshot(counted, built.loadedAt);

      const first = snapshot.listingFor({ scopes: ['weather', 'admin'] });
      assert.equal(reads, 3);
      const again = snapshot.listingFor({ scopes: ['admin', 'weather'] });
      assert.ok(Object.is(first, again));
      assert.equal(reads, 3, 'the second call was answered from the memo');

      snapshot.listingFor({ scopes: ['*'] });
      snapshot.listingFor({ scopes: ['weather', '*'] });
      assert.equal(reads, 6, "every set holding '*' shares one listing");
      assert.notEqual(snapshot.listingFor(weatherAgent), first);
      assert.equal(reads, 8);
    });

    it('answers undefined for a tool the caller may not call, and the tool for one it may', async () => {
      const snapshot = await snapshotAfter(async () => {});
      assert.equal(snapshot.callable('purge_account', weatherAgent), undefined);
      assert.equal(snapshot.has('purge_account'), true, 'it exists: only the audit trail may know');
      assert.equal(snapshot.callable('purge_account', { scopes: ['admin'] })?.name, 'purge_account');
      assert.equal(snapshot.callable('no_such_tool', admin), undefined);
    });
  });

  describe('createRegistry', () => {
    it('caches the snapshot for the TTL: a change in DynamoDB shows only after it', async () => {
      const tableName = await aws.createTable();
      await putManifest(tableName, 'echo');
      const clock = manualClock();
      const registry = createRegistry({
        store: createManifestStore({ client: aws.dynamodb, tableName, logger: silentLogger }),
        codeTools,
        ttlMs: 1_000,
        logger: silentLogger,
        now: clock.now,
      });
      const first = await registry.snapshot();
      assert.ok(first.callable('echo', nobody));

      await disable(tableName, 'echo');
      clock.advance(999);
      const cached = await registry.snapshot();
      assert.equal(cached, first);
      assert.ok(cached.callable('echo', nobody), 'the change is not visible yet');

      clock.advance(1);
      const fresh = await registry.snapshot();
      assert.notEqual(fresh, first);
      assert.equal(fresh.callable('echo', nobody), undefined);
      assert.equal(fresh.loadedAt, clock.now());
    });

    it('serves the last good snapshot while DynamoDB is down', async (t) => {
      const dynamo = await startLocalDynamo({ failFast: true });
      t.after(() => dynamo.dispose());
      const tableName = await createRegistryTable(dynamo.client);
      const clock = manualClock();
      const logs = captureLogs();
      const registry = createRegistry({
        store: createManifestStore({ client: dynamo.client, tableName, logger: logs.logger }),
        codeTools,
        ttlMs: 100,
        logger: logs.logger,
        now: clock.now,
      });
      const good = await registry.snapshot();
      await dynamo.stop();

      clock.advance(500);
      assert.equal(await registry.snapshot(), good);
      assert.ok(
        logs.entries().some((entry) => entry.level === 'warn' && /last good snapshot/.test(String(entry.message))),
      );
    });

    it('skips an HTTP tool whose spec is malformed, naming the field, and serves the other tools', async () => {
      const tableName = await aws.createTable();
      await putManifest(tableName, 'echo');
      const http = (url: string) => ({
        inputSchema: { type: 'object', properties: {} },
        request: { method: 'GET', url },
      });
      await putManifest(tableName, 'good_http', {
        source: 'http',
        description: 'Reads the status page.',
        http: http('https://status.example.com/now'),
      });
      await putManifest(tableName, 'bad_http', {
        source: 'http',
        description: 'Has a method no HTTP tool may use.',
        http: { ...http('https://api.example.com/x'), request: { method: 'FETCH', url: 'https://api.example.com/x' } },
      });
      const logs = captureLogs();
      const registry = createRegistry({
        store: createManifestStore({ client: aws.dynamodb, tableName, logger: logs.logger }),
        codeTools,
        ttlMs: 1_000,
        logger: logs.logger,
      });
      const snapshot = await registry.snapshot();
      assert.ok(snapshot.callable('good_http', nobody));
      assert.ok(snapshot.callable('echo', nobody));
      assert.equal(snapshot.callable('bad_http', admin), undefined);
      const warning = logs.entries().find((entry) => entry.level === 'warn' && entry.tool === 'bad_http');
      assert.equal(warning?.message, 'skipping HTTP tool whose manifest does not compile');
      assert.match(String(warning?.problem), /http\.request\.method/);
    });

    it('throws RegistryUnavailableError when DynamoDB fails and nothing is cached', async () => {
      const unreachable = dynamoDbClient(await closedPortUrl(), { failFast: true });
      try {
        const registry = createRegistry({
          store: createManifestStore({ client: unreachable, tableName: 'registry', logger: silentLogger }),
          codeTools,
          ttlMs: 1_000,
          logger: silentLogger,
        });
        await assert.rejects(registry.snapshot(), (error: Error & { code?: string }) => {
          assert.equal(error.name, 'RegistryUnavailableError');
          assert.equal(error.code, 'REGISTRY_UNAVAILABLE');
          assert.doesNotMatch(error.message, /registry-|127\.0\.0\.1|ECONNREFUSED/);
          return true;
        });
      } finally {
        unreachable.destroy();
      }
    });
  });
});
