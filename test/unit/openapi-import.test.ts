import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import formatsModule from 'ajv-formats';
import type { AdminError } from '../../shared/admin/admin-error.js';
import { checkHttpTool } from '../../shared/admin/http-tools.js';
import { loadOpenApi } from '../../shared/http-tools/openapi/load.js';
import {
  type ImportedTool,
  MAX_TOOL_BYTES,
  type OpenApiImportOptions,
  openApiToTools,
} from '../../shared/http-tools/openapi/operations.js';
import { MAX_SCHEMA_NODES, RECURSIVE_SCHEMA_NOTE } from '../../shared/http-tools/openapi/schema.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/openapi/${name}`, import.meta.url));
const SHOP = fixture('shop.json');

async function importShop(options: OpenApiImportOptions = {}) {
  const { document } = await loadOpenApi(SHOP);
  return openApiToTools(document, options);
}

function tool(tools: ImportedTool[], name: string): ImportedTool {
  const found = tools.find((candidate) => candidate.name === name);
  assert.ok(found, `no tool ${name} among ${tools.map((candidate) => candidate.name).join(', ')}`);
  return found;
}

const adminError = (code: string, message?: RegExp) => (error: unknown) => {
  assert.equal((error as AdminError).code, code, (error as Error).message);
  if (message) assert.match((error as Error).message, message);
  return true;
};

describe('OpenAPI import: a multi-operation 3.0 spec with $refs', () => {
  it('makes one tool per callable operation, named by operationId, or method_path when it has none', async () => {
    const { tools, allNames, importedFrom } = await importShop();
    assert.equal(importedFrom, 'openapi:Pet Shop');
    assert.deepEqual(
      tools.map((t) => t.name),
      [
        'listPets',
        'createPet',
        'getPetById',
        'updatePet',
        'replacePetTags',
        'placeOrder',
        'getOrder',
        'delete_orders_orderId',
        'getInventory',
      ],
    );
    assert.ok(allNames.includes('uploadPetPhoto'), 'the skipped operation still counts as present (for --prune)');
    for (const t of tools) {
      assert.equal(t.http.importedFrom, 'openapi:Pet Shop');
      if (t.name !== 'delete_orders_orderId') assert.equal(t.http.operationId, t.name);
    }
    assert.equal(tool(tools, 'delete_orders_orderId').http.operationId, undefined);
  });

  it('says which operations and parameters it left out, and why', async () => {
    const { warnings } = await importShop();
    assert.ok(warnings.some((w) => /POST \/pets\/\{petId\}\/photo: skipped .*multipart\/form-data/.test(w)));
    assert.ok(warnings.some((w) => /GET \/pets: cookie parameter session left out/.test(w)));
    assert.ok(warnings.some((w) => /declares security schemes but no --secret/.test(w)));
  });

  it('describes each tool by summary and description, naming the method and path', async () => {
    const { tools } = await importShop();
    assert.equal(
      tool(tools, 'listPets').description,
      'List pets\n\nPets in the shop, newest first, one page at a time.\n\n(GET /pets)',
    );
    assert.equal(tool(tools, 'listPets').http.title, 'List pets');
    assert.equal(tool(tools, 'delete_orders_orderId').description, 'Cancel an order\n\n(DELETE /orders/{orderId})');
  });

  it('maps path, query and header parameters from components, renaming only wire names that are not argument names', async () => {
    const { tools } = await importShop();
    const listPets = tool(tools, 'listPets').http;
    assert.deepEqual(listPets.request, {
      method: 'GET',
      url: 'https://eu.shop.example/api/v2/pets',
      arguments: {
        limit: { in: 'query' },
        cursor: { in: 'query' },
        status: { in: 'query' },
        filter_tag: { in: 'query', name: 'filter[tag]' },
        'X-Request-Id': { in: 'header' },
      },
    });
    assert.deepEqual(listPets.inputSchema, {
      type: 'object',
      properties: {
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'Pets per page' },
        cursor: { type: 'string' },
        status: {
          type: 'array',
          items: { type: 'string', enum: ['available', 'pending', 'sold'] },
          description: 'Only pets with these statuses',
        },
        filter_tag: { type: 'string', description: 'Only pets with this tag' },
        'X-Request-Id': { type: 'string', description: 'Echoed in the response, for tracing' },
      },
      additionalProperties: false,
    });
    assert.deepEqual(listPets.annotations, { readOnlyHint: true, openWorldHint: true });

    const getPet = tool(tools, 'getPetById').http;
    assert.equal(getPet.request.url, 'https://eu.shop.example/api/v2/pets/{petId}');
    assert.deepEqual(getPet.request.arguments, { petId: { in: 'path' } });
    assert.deepEqual(getPet.inputSchema.required, ['petId']);
    assert.deepEqual((getPet.inputSchema.properties as Record<string, unknown>).petId, {
      type: 'integer',
      format: 'int64',
      minimum: 1,
      description: "The pet's id",
    });
  });

  it('flattens an object body into body arguments, without read-only properties, keeping required flags', async () => {
    const { tools } = await importShop();
    const createPet = tool(tools, 'createPet').http;
    assert.equal(createPet.request.method, 'POST');
    assert.deepEqual(createPet.request.arguments, {
      name: { in: 'body' },
      tag: { in: 'body' },
      status: { in: 'body' },
      category: { in: 'body' },
      price: { in: 'body' },
    });
    const properties = createPet.inputSchema.properties as Record<string, Record<string, unknown>>;
    assert.deepEqual(createPet.inputSchema.required, ['name'], 'id is read-only: neither an argument nor required');
    assert.deepEqual(properties.name, { type: 'string', minLength: 1, examples: ['Rex'] });
    assert.deepEqual(properties.tag, { type: ['string', 'null'] }, 'nullable becomes a type union');
    assert.deepEqual(properties.price, { type: 'number', exclusiveMinimum: 0 }, 'no xml; exclusiveMinimum as a number');

    const placeOrder = tool(tools, 'placeOrder').http;
    assert.deepEqual(placeOrder.request.arguments, {
      'Idempotency-Key': { in: 'header' },
      'X-API-Key': { in: 'header' }, // without --secret, the API key is the caller's to give
      petId: { in: 'body' },
      quantity: { in: 'body' },
      shipDate: { in: 'body' },
      note: { in: 'body' },
    });
    assert.deepEqual(placeOrder.inputSchema.required, ['Idempotency-Key', 'petId', 'quantity']);
  });

  it('nests the whole body under `body` when one of its properties has a parameter’s name', async () => {
    const { tools } = await importShop();
    const updatePet = tool(tools, 'updatePet').http;
    assert.equal(updatePet.request.url, 'https://eu.shop.example/api/v2/pets/{petId}');
    assert.deepEqual(updatePet.request.arguments, { petId: { in: 'path' }, body: { in: 'whole-body' } });
    assert.deepEqual(updatePet.inputSchema.required, ['petId', 'body']);
    const body = (updatePet.inputSchema.properties as Record<string, Record<string, unknown>>).body!;
    assert.equal(body.type, 'object');
    assert.deepEqual(Object.keys(body.properties as object), ['petId', 'name', 'status', 'category']);
    assert.deepEqual(updatePet.annotations, {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: true,
    });
  });

  it('sends an array body as the whole body', async () => {
    const { tools } = await importShop();
    const replaceTags = tool(tools, 'replacePetTags').http;
    assert.deepEqual(replaceTags.request.arguments, { petId: { in: 'path' }, body: { in: 'whole-body' } });
    assert.deepEqual((replaceTags.inputSchema.properties as Record<string, unknown>).body, {
      type: 'array',
      items: { type: 'string', pattern: '^[a-z-]+$' },
      description: 'The new tags, in order',
    });
  });

  it('cuts a circular schema where it recurses, so every manifest is plain JSON', async () => {
    const { tools } = await importShop({ outputSchemas: true });
    for (const t of tools) assert.deepEqual(JSON.parse(JSON.stringify(t)), t);
    const category = (tool(tools, 'createPet').http.inputSchema.properties as Record<string, Record<string, unknown>>)
      .category!;
    assert.equal(category.type, 'object');
    assert.deepEqual((category.properties as Record<string, unknown>).parent, { description: RECURSIVE_SCHEMA_NOTE });
  });

  it('gives schemas a strict JSON Schema validator compiles, and manifests the registry accepts', async () => {
    const addFormats = ((formatsModule as unknown as { default?: typeof formatsModule }).default ??
      formatsModule) as unknown as (ajv: Ajv) => Ajv;
    const strict = addFormats(new Ajv({ strict: true, strictTypes: false }));
    const { tools } = await importShop({ secret: 'shop-api', outputSchemas: true });
    for (const t of tools) {
      strict.compile(t.http.inputSchema);
      if (t.http.outputSchema) strict.compile(t.http.outputSchema);
      checkHttpTool(t);
    }
  });

  it('authenticates as each operation’s security requirement says, with the --secret given', async () => {
    const { tools, warnings } = await importShop({ secret: 'shop-api' });
    assert.deepEqual(tool(tools, 'listPets').http.auth, { type: 'bearer', secret: 'shop-api' });
    assert.deepEqual(tool(tools, 'createPet').http.auth, { type: 'header', secret: 'shop-api', name: 'X-API-Key' });
    assert.deepEqual(tool(tools, 'getPetById').http.auth, { type: 'query', secret: 'shop-api', name: 'api_key' });
    assert.deepEqual(tool(tools, 'replacePetTags').http.auth, { type: 'basic', secret: 'shop-api' });
    assert.equal(tool(tools, 'getInventory').http.auth, undefined, '`security: []` means no credentials');
    assert.ok(!warnings.some((w) => /no --secret/.test(w)));
    assert.ok(
      !('X-API-Key' in (tool(tools, 'placeOrder').http.inputSchema.properties as object)),
      'the API-key header is the runtime’s, not an argument',
    );
  });

  it('sends no credentials without --secret', async () => {
    const { tools } = await importShop();
    assert.ok(tools.every((t) => t.http.auth === undefined));
  });

  it('takes the server URL with its variables’ defaults, or --base-url', async () => {
    const { tools } = await importShop({ baseUrl: 'http://127.0.0.1:9000/shop/' });
    assert.equal(tool(tools, 'getOrder').http.request.url, 'http://127.0.0.1:9000/shop/orders/{orderId}');
  });

  it('resolves a relative server URL against the URL the document came from, and asks for --base-url otherwise', async () => {
    const { document } = await loadOpenApi(SHOP);
    const relative = { ...document, servers: [{ url: '/api' }] };
    const { tools } = openApiToTools(relative, { specUrl: 'http://127.0.0.1:8000/specs/shop.json' });
    assert.equal(tool(tools, 'getOrder').http.request.url, 'http://127.0.0.1:8000/api/orders/{orderId}');
    assert.throws(() => openApiToTools(relative), adminError('INVALID_INPUT', /--base-url/));
  });

  it('prefixes names and imports only the operations --include names', async () => {
    const { tools } = await importShop({ prefix: 'shop_', include: ['getPetById', 'delete_orders_orderId'] });
    assert.deepEqual(
      tools.map((t) => t.name),
      ['shop_getPetById', 'shop_delete_orders_orderId'],
    );
  });

  it('takes the method of a method_path name in --include in any case', async () => {
    const { tools } = await importShop({ include: ['DELETE_orders_orderId', 'getOrder'] });
    assert.deepEqual(
      tools.map((t) => t.name),
      ['getOrder', 'delete_orders_orderId'],
    );
    await assert.rejects(
      importShop({ include: ['getorder'] }),
      adminError('INVALID_INPUT', /Unknown operation getorder/),
    );
  });

  it('asks for an empty JSON body only where the document requires a body none of whose properties is required', () => {
    const operation = (required: string[] | undefined, bodyRequired = true) => ({
      post: {
        operationId: `op${required?.length ?? 'none'}${bodyRequired}`,
        requestBody: {
          required: bodyRequired,
          content: {
            'application/json': {
              schema: { type: 'object', properties: { note: { type: 'string' } }, ...(required ? { required } : {}) },
            },
          },
        },
        responses: { 200: { description: 'ok' } },
      },
    });
    const { tools } = openApiToTools({
      openapi: '3.0.3',
      info: { title: 'Bodies', version: '1' },
      servers: [{ url: 'https://api.example.com' }],
      paths: { '/a': operation(undefined), '/b': operation(['note']), '/c': operation(undefined, false) },
    });
    assert.deepEqual(
      tools.map((t) => t.http.request.bodyRequired),
      [true, undefined, undefined],
    );
  });

  it('refuses a document without operations rather than importing nothing', async () => {
    const { document } = await loadOpenApi(SHOP);
    assert.throws(
      () => openApiToTools({ ...document, paths: {} }),
      adminError('NO_OPERATIONS', /The document "Pet Shop" has no operations/),
    );
  });

  it('refuses an --include of operations the document does not have, listing the ones it has', async () => {
    await assert.rejects(
      importShop({ include: ['getPetById', 'feedPet'] }),
      adminError('INVALID_INPUT', /Unknown operation feedPet; the document has: listPets, createPet, getPetById/),
    );
  });

  it('adds the 2xx JSON object schema as outputSchema only when asked, without write-only properties', async () => {
    const without = await importShop();
    assert.ok(without.tools.every((t) => t.http.outputSchema === undefined));
    const { tools } = await importShop({ outputSchemas: true });
    const getOrder = tool(tools, 'getOrder').http.outputSchema!;
    assert.equal(getOrder.type, 'object', 'an allOf of objects is an object');
    assert.equal((getOrder.allOf as unknown[]).length, 2);
    assert.equal(tool(tools, 'getPetById').http.outputSchema?.type, 'object');
    assert.deepEqual(tool(tools, 'getPetById').http.outputSchema?.required, ['id', 'name']);
    assert.equal(tool(tools, 'delete_orders_orderId').http.outputSchema, undefined);
  });
});

describe('OpenAPI import: other documents', () => {
  it('imports an OpenAPI 3.1 YAML document (type unions, examples, numeric exclusiveMinimum)', async () => {
    const { document } = await loadOpenApi(fixture('library-3.1.yaml'));
    const { tools, importedFrom } = openApiToTools(document, { secret: 'library-key' });
    assert.equal(importedFrom, 'openapi:Library');
    const getBook = tool(tools, 'getBook').http;
    assert.deepEqual(getBook.request, {
      method: 'GET',
      url: 'http://127.0.0.1:8080/library/books/{isbn}',
      arguments: { isbn: { in: 'path' } },
    });
    assert.deepEqual(getBook.auth, { type: 'query', secret: 'library-key', name: 'key' });
    const addBook = tool(tools, 'addBook').http;
    assert.deepEqual(addBook.request.arguments, {
      isbn: { in: 'body' },
      title: { in: 'body' },
      subtitle: { in: 'body' },
      authors: { in: 'body' },
    });
    assert.deepEqual(addBook.inputSchema.required, ['isbn', 'title']);
    const properties = addBook.inputSchema.properties as Record<string, Record<string, unknown>>;
    assert.deepEqual(properties.subtitle, { type: ['string', 'null'] });
    assert.deepEqual(properties.authors, {
      type: 'array',
      items: {
        type: 'object',
        properties: { name: { type: 'string' }, born: { type: ['integer', 'null'], exclusiveMinimum: 0 } },
      },
    });
  });

  it('refuses Swagger 2.0 with a message that says only OpenAPI 3.x is imported', async () => {
    await assert.rejects(
      loadOpenApi(fixture('swagger-2.json')),
      adminError('INVALID_SPEC', /Swagger 2\.0: only OpenAPI 3\.x/),
    );
  });

  it('names every place where a document breaks the OpenAPI schema, such as operations without responses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-invalid-'));
    try {
      const file = join(dir, 'pets.yaml');
      writeFileSync(
        file,
        [
          'openapi: 3.0.3',
          'info: { title: Pets, version: "1" }',
          "servers: [{ url: 'https://pets.example' }]",
          'paths:',
          '  /pets/{petId}:',
          '    get: { operationId: getPet, parameters: [{ name: petId, in: path, required: true, schema: { type: string } }] }',
          '  /pets:',
          '    post: { operationId: addPet, responses: { 201: { description: added } } }',
          '    delete: { operationId: clearPets }',
          '',
        ].join('\n'),
      );
      await assert.rejects(
        loadOpenApi(file),
        adminError(
          'INVALID_SPEC',
          /pets\.yaml is not a valid OpenAPI document: paths\.\/pets\/\{petId\}\.get: must have required property 'responses'; paths\.\/pets\.delete: must have required property 'responses'$/,
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says a Swagger 2.0 document is Swagger 2.0 before any detail of it, and reads a numeric info.version of OpenAPI 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-versions-'));
    const paths = 'paths:\n  /x:\n    get:\n      operationId: x\n      responses: { 200: { description: ok } }\n';
    try {
      for (const swagger of ['"2.0"', '2.0']) {
        const file = join(dir, 'swagger.yaml');
        writeFileSync(file, `swagger: ${swagger}\ninfo: { title: Old, version: 1 }\nhost: old.example\n${paths}`);
        await assert.rejects(
          loadOpenApi(file),
          adminError('INVALID_SPEC', /swagger\.yaml is Swagger 2\.0: only OpenAPI 3\.x is imported/),
        );
      }
      const file = join(dir, 'openapi.yaml');
      writeFileSync(
        file,
        `openapi: 3.0.3\ninfo: { title: Numbered, version: 2 }\nservers: [{ url: 'https://n.example' }]\n${paths}`,
      );
      const loaded = await loadOpenApi(file);
      assert.equal(loaded.document.info.version, '2');
      assert.deepEqual(loaded.warnings, ['info.version is the number 2, read as "2"']);
      assert.deepEqual(
        openApiToTools(loaded.document).tools.map((t) => t.name),
        ['x'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not let a $ref read an internal address such as the metadata endpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
    const file = join(dir, 'spec.json');
    writeFileSync(
      file,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'Sneaky', version: '1' },
        servers: [{ url: 'https://api.example.com' }],
        paths: {
          '/x': {
            get: {
              operationId: 'x',
              responses: { 200: { $ref: 'http://169.254.169.254/latest/meta-data/iam#/r' } },
            },
          },
        },
      }),
    );
    try {
      await assert.rejects(loadOpenApi(file), adminError('INVALID_SPEC', /169\.254\.169\.254/));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('file $refs: only inside the document’s own directory', () => {
    let base: string;
    let specDir: string;

    /** A document whose one operation takes its summary from `summaryRef`. */
    const writeSpec = (summaryRef: string) => {
      const file = join(specDir, 'spec.json');
      writeFileSync(
        file,
        JSON.stringify({
          openapi: '3.0.3',
          info: { title: 'Files', version: '1' },
          servers: [{ url: 'https://api.example.com' }],
          paths: {
            '/x': {
              get: {
                operationId: 'x',
                summary: { $ref: summaryRef },
                responses: { 200: { $ref: './parts/responses.json#/ok' } },
              },
            },
          },
        }),
      );
      return file;
    };

    before(() => {
      base = mkdtempSync(join(tmpdir(), 'openapi-files-'));
      specDir = join(base, 'spec');
      mkdirSync(join(specDir, 'parts'), { recursive: true });
      writeFileSync(join(specDir, 'parts', 'responses.json'), JSON.stringify({ ok: { description: 'Fine' } }));
      writeFileSync(join(specDir, 'parts', 'summary.txt'), 'Get the x');
      writeFileSync(join(base, 'fake-credentials'), 'aws_secret_access_key=hunter2');
      symlinkSync(join(base, 'fake-credentials'), join(specDir, 'parts', 'link.txt'));
    });
    after(() => rmSync(base, { recursive: true, force: true }));

    it('reads $refs to files beside the document and under it', async () => {
      const { document } = await loadOpenApi(writeSpec('./parts/summary.txt'));
      assert.match(openApiToTools(document).tools[0]!.description, /^Get the x/);
    });

    for (const [label, ref] of [
      ['a path with ..', '../fake-credentials'],
      ['an absolute file: URL', 'FILE_URL'],
      ['a symlink inside the directory to a file outside it', './parts/link.txt'],
    ] as const) {
      it(`refuses ${label}, naming the $ref`, async () => {
        const target = ref === 'FILE_URL' ? `file://${join(base, 'fake-credentials')}` : ref;
        await assert.rejects(loadOpenApi(writeSpec(target)), (error: unknown) => {
          adminError(
            'INVALID_SPEC',
            /\$ref ".*(fake-credentials|link\.txt)" refused: only files inside the document's own directory/,
          )(error);
          assert.doesNotMatch((error as Error).message, /hunter2/);
          return true;
        });
      });
    }
  });

  it('refuses a document that is not valid OpenAPI, saying where', async () => {
    await assert.rejects(loadOpenApi(fixture('does-not-exist.yaml')), adminError('INVALID_SPEC', /Cannot read/));
  });
});

describe('OpenAPI import: size bounds', () => {
  /** Six levels of schemas, each with ten properties that all $ref the next level: 10^6 nodes once expanded. */
  function exponentialDocument(): Record<string, unknown> {
    const schemas: Record<string, unknown> = { L6: { type: 'string' } };
    for (let level = 5; level >= 0; level--) {
      const properties: Record<string, unknown> = {};
      for (let i = 0; i < 10; i++) properties[`p${i}`] = { $ref: `#/components/schemas/L${level + 1}` };
      schemas[`L${level}`] = { type: 'object', properties };
    }
    return {
      openapi: '3.0.3',
      info: { title: 'Bomb', version: '1' },
      servers: [{ url: 'https://api.example.com' }],
      paths: {
        '/bomb': {
          post: {
            operationId: 'bomb',
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { $ref: '#/components/schemas/L0' } } },
            },
            responses: {
              200: {
                description: 'ok',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/L0' } } },
              },
            },
          },
        },
        '/fine': {
          get: {
            operationId: 'fine',
            parameters: [{ name: 'q', in: 'query', schema: { $ref: '#/components/schemas/L5' } }],
            responses: {
              200: {
                description: 'ok',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/L4' } } },
              },
            },
          },
        },
      },
      components: { schemas },
    };
  }

  async function load(document: Record<string, unknown>) {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-size-'));
    try {
      const file = join(dir, 'spec.json');
      writeFileSync(file, JSON.stringify(document));
      return (await loadOpenApi(file)).document;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('skips, with a warning naming it, an operation whose shared $refs expand past the node budget', async () => {
    const document = await load(exponentialDocument());
    const started = Date.now();
    const { tools, warnings, allNames } = openApiToTools(document, { outputSchemas: true });
    assert.ok(Date.now() - started < 2000, 'the budget stops the expansion early');
    assert.deepEqual(
      tools.map((t) => t.name),
      ['fine'],
    );
    assert.deepEqual(allNames, ['bomb', 'fine']);
    assert.ok(
      warnings.some((w) => w.startsWith('POST /bomb: skipped') && w.includes(`larger than ${MAX_SCHEMA_NODES} nodes`)),
      warnings.join('\n'),
    );
    assert.ok(tool(tools, 'fine').http.outputSchema, 'a schema within the budget is kept whole');
    for (const t of tools) assert.ok(Buffer.byteLength(JSON.stringify(t)) <= MAX_TOOL_BYTES);
  });

  it('leaves out only the output schema when that is what is too large', async () => {
    const document = exponentialDocument();
    const bomb = (document.paths as Record<string, Record<string, Record<string, unknown>>>)['/bomb']!.post!;
    bomb.requestBody = { content: { 'application/json': { schema: { $ref: '#/components/schemas/L4' } } } };
    const { tools, warnings } = openApiToTools(await load(document), { outputSchemas: true });
    assert.equal(tool(tools, 'bomb').http.outputSchema, undefined);
    assert.ok(
      warnings.some((w) => w.startsWith('POST /bomb: outputSchema left out')),
      warnings.join('\n'),
    );
  });

  it('skips, with a warning, an operation whose manifest would not fit well within a DynamoDB item', async () => {
    const document = await load({
      openapi: '3.0.3',
      info: { title: 'Wordy', version: '1' },
      servers: [{ url: 'https://api.example.com' }],
      paths: {
        '/wordy': {
          get: {
            operationId: 'wordy',
            parameters: [{ name: 'q', in: 'query', schema: { type: 'string', description: 'x'.repeat(300_000) } }],
            responses: { 200: { description: 'ok' } },
          },
        },
        '/short': { get: { operationId: 'short', responses: { 200: { description: 'ok' } } } },
      },
    });
    const { tools, warnings } = openApiToTools(document);
    assert.deepEqual(
      tools.map((t) => t.name),
      ['short'],
    );
    assert.ok(
      warnings.some((w) => /^GET \/wordy: skipped \(its manifest would be \d+ KB; at most 256 KB/.test(w)),
      warnings.join('\n'),
    );
  });
});
