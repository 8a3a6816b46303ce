import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { toolModules } from '../../functions/tools/index.generated.js';
import type { AdminError } from '../../shared/admin/admin-error.js';
import {
  applyImport,
  getToolManifest,
  type HttpToolInput,
  planImport,
  putHttpTool,
  readManifests,
  removeHttpTool,
} from '../../shared/admin/http-tools.js';
import { setEnabled, updatePolicy } from '../../shared/admin/tools.js';
import type { OpenApiDocument } from '../../shared/http-tools/openapi/document.js';
import { loadOpenApi } from '../../shared/http-tools/openapi/load.js';
import { type OpenApiImportOptions, openApiToTools } from '../../shared/http-tools/openapi/operations.js';
import type { HttpToolSpec } from '../../shared/http-tools/spec.js';
import { createManifestStore } from '../../shared/registry/manifest-store.js';
import { syncCodeManifests } from '../../shared/registry/sync.js';
import { loadCodeTools } from '../../shared/tools/load-tools.js';
import { type LocalAws, silentLogger, startLocalAws } from '../helpers/aws.js';

const codeTools = loadCodeTools(toolModules);
const SHOP = fileURLToPath(new URL('../fixtures/openapi/shop.json', import.meta.url));
const NOW = new Date('2030-03-01T09:00:00.000Z');
const LATER = new Date('2030-03-02T09:00:00.000Z');

const adminError = (code: string, message?: RegExp) => (error: unknown) => {
  assert.equal((error as AdminError).code, code, (error as Error).message);
  if (message) assert.match((error as Error).message, message);
  return true;
};

/** The shop document, dereferenced, as a fresh copy a test may change. */
async function shopDocument(): Promise<OpenApiDocument> {
  return (await loadOpenApi(SHOP)).document;
}

const WEATHER: HttpToolInput = {
  name: 'weather_forecast_http',
  description: 'Daily forecast for a city.',
  http: {
    inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    request: { method: 'GET', url: 'https://api.weather.example/v1/forecast', arguments: { city: { in: 'query' } } },
    auth: { type: 'query', name: 'key', secret: 'weather-api' },
  },
};

describe('admin: HTTP tools and OpenAPI imports (dynalite)', () => {
  let aws: LocalAws;

  before(async () => {
    aws = await startLocalAws();
  });
  after(() => aws.stop());

  /** A registry as a deploy leaves it: the code's tools synced in. */
  async function syncedStore() {
    const store = { client: aws.dynamodb, tableName: await aws.createTable() };
    await syncCodeManifests(store, codeTools);
    return store;
  }

  type Store = Awaited<ReturnType<typeof syncedStore>>;

  async function importDocument(
    store: Store,
    document: OpenApiDocument,
    options: OpenApiImportOptions & { scopes?: string[]; prune?: boolean } = {},
    now = NOW,
  ) {
    const { scopes, prune, ...conversion } = options;
    const plan = await planImport(store, openApiToTools(document, { secret: 'shop-api', ...conversion }), {
      ...(scopes ? { scopes } : {}),
      prune: prune ?? false,
      codeToolNames: codeTools.map((tool) => tool.name),
    });
    const result = plan.conflicts.length ? undefined : await applyImport(store, plan, { now });
    return { plan, result };
  }

  describe('import-openapi', () => {
    it('writes one HTTP tool per operation, exactly as converted, at version 1', async () => {
      const store = await syncedStore();
      const document = await shopDocument();
      const { plan, result } = await importDocument(store, document);
      assert.equal(result?.added.length, 9);
      const expected = openApiToTools(document, { secret: 'shop-api' }).tools;
      for (const tool of expected) {
        const manifest = await getToolManifest(store, tool.name);
        assert.deepEqual(manifest, {
          PK: 'TOOL',
          SK: tool.name,
          source: 'http',
          description: tool.description,
          http: tool.http,
          enabled: true,
          version: 1,
          updatedAt: NOW.toISOString(),
        });
      }
      assert.deepEqual(plan.change, []);
    });

    it('what it writes is what an instance reads from the registry', async () => {
      const store = await syncedStore();
      await importDocument(store, await shopDocument());
      const manifests = await createManifestStore({
        client: aws.dynamodb,
        tableName: store.tableName,
        logger: silentLogger,
      }).loadAll();
      assert.equal(
        (manifests.get('getPetById')?.http as HttpToolSpec | undefined)?.request.url,
        'https://eu.shop.example/api/v2/pets/{petId}',
      );
    });

    it('changes nothing on a second import of the same document', async () => {
      const store = await syncedStore();
      await importDocument(store, await shopDocument());
      const { plan, result } = await importDocument(store, await shopDocument());
      assert.equal(plan.add.length + plan.change.length + plan.remove.length, 0);
      assert.equal(plan.unchanged.length, 9);
      assert.deepEqual(result, { added: [], changed: [], removed: [] });
      assert.equal((await getToolManifest(store, 'listPets')).version, 1);
    });

    it('updates only the tools whose operation changed, saying which fields, and keeps operator policy', async () => {
      const store = await syncedStore();
      await importDocument(store, await shopDocument());
      await setEnabled(store, 'getPetById', false);
      await updatePolicy(store, 'getPetById', { rateLimit: { limit: 5, windowSeconds: 60 }, scopes: ['pets:read'] });

      const changed = await shopDocument();
      const getPet = changed.paths!['/pets/{petId}']!.get as Record<string, unknown>;
      getPet.summary = 'Get one pet';
      (getPet as { parameters?: unknown[] }).parameters = [{ name: 'fields', in: 'query', schema: { type: 'string' } }];
      const { plan, result } = await importDocument(store, changed, {}, LATER);
      assert.deepEqual(
        plan.change.map(({ tool, fields }) => [tool.name, fields]),
        [['getPetById', ['description', 'http.title', 'http.inputSchema', 'http.request.arguments']]],
      );
      assert.deepEqual(result?.changed, ['getPetById']);
      const manifest = await getToolManifest(store, 'getPetById');
      assert.equal(manifest.version, 4, 'imported (1), disabled (2), policy changed (3), imported again (4)');
      assert.equal(manifest.enabled, false);
      assert.deepEqual(manifest.rateLimit, { limit: 5, windowSeconds: 60 });
      assert.deepEqual(manifest.scopes, ['pets:read'], 'scopes are kept without --scopes');
      assert.equal(manifest.updatedAt, LATER.toISOString());
      assert.deepEqual(manifest.http?.request.arguments, { petId: { in: 'path' }, fields: { in: 'query' } });
      assert.equal((await getToolManifest(store, 'listPets')).version, 1, 'untouched');
    });

    it('sets scopes on every tool of the import with --scopes, and reports the ones that change', async () => {
      const store = await syncedStore();
      await importDocument(store, await shopDocument(), { scopes: ['shop:read'] });
      assert.deepEqual((await getToolManifest(store, 'getOrder')).scopes, ['shop:read']);
      const { plan } = await importDocument(store, await shopDocument(), { scopes: ['shop:write'] });
      assert.equal(plan.change.length, 9);
      assert.ok(plan.change.every(({ fields }) => fields.join() === 'scopes'));
      assert.deepEqual((await getToolManifest(store, 'getOrder')).scopes, ['shop:write']);
    });

    it('removes with --prune only the tools of this import whose operation is gone', async () => {
      const store = await syncedStore();
      await importDocument(store, await shopDocument());
      await putHttpTool(store, WEATHER);
      const library = (
        await loadOpenApi(fileURLToPath(new URL('../fixtures/openapi/library-3.1.yaml', import.meta.url)))
      ).document;
      await importDocument(store, library, { secret: 'library-key' });

      const smaller = await shopDocument();
      delete smaller.paths!['/orders/{orderId}'];
      const kept = await importDocument(store, smaller);
      assert.deepEqual(kept.plan.remove, [], 'nothing is removed without --prune');
      assert.deepEqual(
        kept.plan.gone.map((manifest) => manifest.SK).sort(),
        ['delete_orders_orderId', 'getOrder'],
        'but the plan names the tools it keeps whose operation is gone',
      );
      assert.ok((await readManifests(store)).has('getOrder'));

      const { plan, result } = await importDocument(store, smaller, { prune: true });
      assert.deepEqual(result?.removed.sort(), ['delete_orders_orderId', 'getOrder']);
      assert.equal(plan.add.length, 0);
      const names = [...(await readManifests(store)).keys()];
      for (const name of ['weather_forecast_http', 'getBook', 'addBook', 'listPets', 'calculate']) {
        assert.ok(names.includes(name), `${name} stays`);
      }
      assert.ok(!names.includes('getOrder'));
    });

    it('keeps the tools of operations --include leaves out when pruning', async () => {
      const store = await syncedStore();
      await importDocument(store, await shopDocument());
      const { plan } = await importDocument(store, await shopDocument(), { include: ['getPetById'], prune: true });
      assert.deepEqual(plan.remove, []);
      assert.deepEqual(plan.unchanged, ['getPetById']);
    });

    it('refuses to overwrite a code tool and writes nothing at all', async () => {
      const store = await syncedStore();
      const document = await shopDocument();
      (document.paths!['/store/inventory']!.get as Record<string, unknown>).operationId = 'calculate';
      const { plan, result } = await importDocument(store, document);
      assert.equal(result, undefined);
      assert.deepEqual(plan.conflicts, [
        { name: 'calculate', reason: 'a code tool has this name (use --prefix, or --include)' },
      ]);
      await assert.rejects(applyImport(store, plan), adminError('TOOL_CONFLICT', /calculate: a code tool/));
      assert.ok(!(await readManifests(store)).has('listPets'));
      assert.equal((await getToolManifest(store, 'calculate')).source, 'code');
    });

    it('does not take over an HTTP tool added by hand or by another import', async () => {
      const store = await syncedStore();
      await putHttpTool(store, { ...WEATHER, name: 'getOrder' });
      const { plan } = await importDocument(store, await shopDocument());
      assert.deepEqual(
        plan.conflicts.map((conflict) => conflict.name),
        ['getOrder'],
      );
      assert.match(plan.conflicts[0]!.reason, /added by hand/);
      const other = await importDocument(store, await shopDocument(), { importedFrom: 'shop-v1', prefix: 'v1_' });
      assert.equal(other.result?.added.length, 9);
      const clash = await importDocument(store, await shopDocument(), { prefix: 'v1_' });
      assert.match(clash.plan.conflicts[0]!.reason, /another import \(shop-v1\).*--source "shop-v1"/);
    });

    it('fails loudly when a tool changes between the plan and the write', async () => {
      const store = await syncedStore();
      await importDocument(store, await shopDocument());
      const changed = await shopDocument();
      (changed.paths!['/orders/{orderId}']!.get as Record<string, unknown>).summary = 'Look up an order';
      const plan = await planImport(store, openApiToTools(changed, { secret: 'shop-api' }));
      await setEnabled(store, 'getOrder', false);
      await assert.rejects(applyImport(store, plan), adminError('CONCURRENT_CHANGE', /getOrder changed/));
      assert.equal((await getToolManifest(store, 'getOrder')).enabled, false);
    });

    it('reads a document from a URL and resolves its relative server URL against it', async () => {
      const document = JSON.parse(readFileSync(SHOP, 'utf8')) as Record<string, unknown>;
      document.servers = [{ url: '/api/v2' }];
      const server: Server = createServer((req, res) => {
        if (req.url !== '/specs/shop.json') return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/specs/shop.json`;
        const loaded = await loadOpenApi(url);
        assert.equal(loaded.specUrl, url);
        const { tools } = openApiToTools(loaded.document, { specUrl: url });
        const origin = new URL(url).origin;
        assert.equal(tools.find((t) => t.name === 'getPetById')?.http.request.url, `${origin}/api/v2/pets/{petId}`);
        await assert.rejects(loadOpenApi(`${origin}/specs/missing.json`), adminError('INVALID_SPEC', /Cannot read/));
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });

  describe('add-http, show and remove', () => {
    it('adds an HTTP tool, then replaces its spec on a second put (version 2), keeping its policy', async () => {
      const store = await syncedStore();
      const added = await putHttpTool(store, { ...WEATHER, scopes: ['weather:read'] }, { now: NOW });
      assert.equal(added.created, true);
      assert.equal(added.manifest.version, 1);
      await updatePolicy(store, WEATHER.name, { rateLimit: { limit: 10, windowSeconds: 60 } });

      const replaced = await putHttpTool(
        store,
        { ...WEATHER, description: 'Forecast for a city, by day.' },
        { now: LATER },
      );
      assert.equal(replaced.created, false);
      const manifest = await getToolManifest(store, WEATHER.name);
      assert.deepEqual(manifest, {
        PK: 'TOOL',
        SK: WEATHER.name,
        source: 'http',
        description: 'Forecast for a city, by day.',
        http: WEATHER.http,
        enabled: true,
        scopes: ['weather:read'],
        rateLimit: { limit: 10, windowSeconds: 60 },
        version: 3,
        updatedAt: LATER.toISOString(),
      });
    });

    it('refuses to replace a code tool, even one the registry does not list yet', async () => {
      const store = await syncedStore();
      await assert.rejects(
        putHttpTool(store, { ...WEATHER, name: 'get_weather_forecast' }),
        adminError('TOOL_CONFLICT', /get_weather_forecast is a code tool/),
      );
      const empty = { client: aws.dynamodb, tableName: await aws.createTable() };
      await assert.rejects(
        putHttpTool(empty, { ...WEATHER, name: 'calculate' }, { codeToolNames: ['calculate'] }),
        adminError('TOOL_CONFLICT'),
      );
    });

    it('refuses an invalid tool before writing, naming the field', async () => {
      const store = await syncedStore();
      await assert.rejects(
        putHttpTool(store, {
          ...WEATHER,
          http: { ...WEATHER.http, inputSchema: { type: 'object', properties: { city: { type: 'town' } } } },
        }),
        adminError('INVALID_MANIFEST', /inputSchema: not a valid JSON Schema/),
      );
      assert.ok(!(await readManifests(store)).has(WEATHER.name));
    });

    it('removes an HTTP tool; refuses a code tool and says how code tools go', async () => {
      const store = await syncedStore();
      await putHttpTool(store, WEATHER);
      const removed = await removeHttpTool(store, WEATHER.name);
      assert.equal(removed.SK, WEATHER.name);
      await assert.rejects(getToolManifest(store, WEATHER.name), adminError('TOOL_NOT_FOUND'));
      await assert.rejects(removeHttpTool(store, WEATHER.name), adminError('TOOL_NOT_FOUND'));
      await assert.rejects(
        removeHttpTool(store, 'calculate'),
        adminError('CODE_TOOL', /deleting its folder.*tools disable calculate/),
      );
      assert.equal((await getToolManifest(store, 'calculate')).source, 'code');
    });
  });
});

/** A loopback HTTP server answering `routes` (404 otherwise), and the paths it was asked for. */
async function serve(routes: Record<string, RequestListener>) {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const route = routes[req.url ?? ''];
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, hits, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const json =
  (body: unknown): RequestListener =>
  (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const redirect =
  (location: () => string): RequestListener =>
  (_req, res) =>
    res.writeHead(302, { location: location() }).end();

/** A document with one operation whose 200 response is `responseRef`, and whose summary is `summary`. */
const refDocument = (responseRef: string, summary: unknown = 'Get x') => ({
  openapi: '3.0.3',
  info: { title: 'Refs', version: '1' },
  servers: [{ url: '/api' }],
  paths: { '/x': { get: { operationId: 'x', summary, responses: { 200: { $ref: responseRef } } } } },
});

describe('import-openapi: what a document read from a URL may pull in', () => {
  const OK = { ok: { description: 'Fine' } };
  let other: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    other = await serve({ '/ok.json': json(OK) }); // another origin: loopback, so private
  });
  after(() => other.close());

  /** Serves `document` at /spec.json on a fresh loopback origin (plus `routes`) and loads it from there. */
  async function loadServed(document: (origin: string) => unknown, routes: Record<string, RequestListener> = {}) {
    let origin = '';
    const spec = await serve({ ...routes, '/spec.json': (req, res) => json(document(origin))(req, res) });
    origin = spec.origin;
    try {
      return await loadOpenApi(`${origin}/spec.json`);
    } finally {
      await spec.close();
    }
  }

  it('reads $refs on the document’s own origin, also through redirects that stay on it', async () => {
    const routes = { '/parts/ok.json': json(OK), '/moved': redirect(() => '/parts/ok.json') };
    for (const ref of ['/parts/ok.json#/ok', '/moved#/ok']) {
      const { document } = await loadServed(() => refDocument(ref), routes);
      const operation = document.paths?.['/x']?.get as { responses: Record<string, unknown> } | undefined;
      assert.deepEqual(operation?.responses['200'], { description: 'Fine' });
    }
  });

  it('never reads a local file, not even into a description', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-remote-'));
    const secret = join(dir, 'fake-credentials');
    writeFileSync(secret, 'aws_secret_access_key=hunter2');
    try {
      await assert.rejects(
        loadServed(() => refDocument('/parts/ok.json#/ok', { $ref: `file://${secret}` }), {
          '/parts/ok.json': json(OK),
        }),
        (error: unknown) => {
          adminError(
            'INVALID_SPEC',
            /\$ref "file:\/\/\/.*fake-credentials" refused: a document read from a URL may not read local files/,
          )(error);
          assert.doesNotMatch((error as Error).message, /hunter2/);
          return true;
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a $ref to another private origin, by address or by a name that resolves to one', async () => {
    const port = new URL(other.origin).port;
    for (const target of [`${other.origin}/ok.json#/ok`, `http://localhost:${port}/ok.json#/ok`]) {
      await assert.rejects(
        loadServed(() => refDocument(target)),
        adminError(
          'INVALID_SPEC',
          /\$ref "http:\/\/(127\.0\.0\.1|localhost):\d+\/ok\.json" refused: (127\.0\.0\.1 is|localhost resolves to \S+,) a private or loopback address/,
        ),
      );
    }
    assert.deepEqual(other.hits, [], 'nothing was sent to the other origin');
  });

  it('refuses a redirect from the document’s origin to another private origin or to the metadata address', async () => {
    const routes = {
      '/to-other': redirect(() => `${other.origin}/ok.json`),
      '/to-metadata': redirect(() => 'http://169.254.169.254/latest/meta-data/iam/security-credentials/'),
      '/hop': redirect(() => '/to-other'),
    };
    const cases: [string, RegExp][] = [
      ['/to-other#/ok', /redirects to http:\/\/127\.0\.0\.1:\d+\/ok\.json, and 127\.0\.0\.1 is a private or loopback/],
      ['/hop#/ok', /redirects to http:\/\/127\.0\.0\.1:\d+\/ok\.json, and 127\.0\.0\.1 is a private or loopback/],
      [
        '/to-metadata#/ok',
        /redirects to http:\/\/169\.254\.169\.254\/.*, and 169\.254\.169\.254 is a link-local, metadata/,
      ],
    ];
    for (const [ref, message] of cases) {
      await assert.rejects(
        loadServed(() => refDocument(ref), routes),
        (error: unknown) => {
          adminError('INVALID_SPEC', /\$ref "http:\/\/127\.0\.0\.1:\d+\/(to-other|hop|to-metadata)" refused: /)(error);
          assert.match((error as Error).message, message);
          return true;
        },
      );
    }
    assert.deepEqual(other.hits, [], 'nothing was sent to the other origin');
  });

  it('stops after 5 redirects and at 10 MB', async () => {
    const routes: Record<string, RequestListener> = {
      '/huge.json': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(Buffer.alloc(11 * 1024 * 1024, 0x20));
      },
    };
    for (let i = 0; i < 6; i++) routes[`/loop${i}`] = redirect(() => `/loop${i + 1}`);
    routes['/loop6'] = json(OK);
    await assert.rejects(
      loadServed(() => refDocument('/huge.json#/ok'), routes),
      adminError('INVALID_SPEC', /\$ref "http:\/\/127\.0\.0\.1:\d+\/huge\.json": .*larger than 10 MB/),
    );
    await assert.rejects(
      loadServed(() => refDocument('/loop0#/ok'), routes),
      adminError('INVALID_SPEC', /more than 5 redirects/),
    );
  });
});
