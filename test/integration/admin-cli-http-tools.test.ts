/**
 * The HTTP-tool commands of the admin CLI in-process (`runCli` with captured stdio), against a registry table in
 * dynalite named with --registry-table, as an operator would type them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { toolModules } from '../../functions/tools/index.generated.js';
import { runCli } from '../../infra/cli/cli.js';
import { readManifests } from '../../shared/admin/http-tools.js';
import { syncCodeManifests } from '../../shared/registry/sync.js';
import { loadCodeTools } from '../../shared/tools/load-tools.js';
import { type LocalAws, startLocalAws } from '../helpers/aws.js';

const NOW = new Date('2030-06-15T12:00:00.000Z');
const SHOP = fileURLToPath(new URL('../fixtures/openapi/shop.json', import.meta.url));
const SWAGGER = fileURLToPath(new URL('../fixtures/openapi/swagger-2.json', import.meta.url));

const WEATHER_YAML = `# A tool that wraps the weather API
name: weather_forecast_http
description: Daily weather forecast for a city.
scopes: [weather:read]
rateLimit: 30/min
inputSchema:
  type: object
  properties:
    city: { type: string, description: 'City name, e.g. Lisbon' }
  required: [city]
request:
  method: GET
  url: https://api.weather.example/v1/forecast
  arguments:
    city: { in: query }
auth: { type: query, name: key, secret: weather-api, field: apiKey }
`;

describe('admin CLI: HTTP tools and OpenAPI import (in-process)', () => {
  let aws: LocalAws;
  let workDir: string;
  const savedEnv = { ...process.env };

  before(async () => {
    aws = await startLocalAws();
    workDir = mkdtempSync(join(tmpdir(), 'mcp-cluster-cli-http-'));
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_CONFIG_FILE: join(workDir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-credentials'),
      AWS_ENDPOINT_URL_DYNAMODB: aws.dynamoDbEndpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.secretsManagerEndpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
  });

  after(async () => {
    process.env = savedEnv;
    await aws.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** A registry as a deploy leaves it, and a `cli` that targets it. */
  async function registry() {
    const tableName = await aws.createTable();
    const store = { client: aws.dynamodb, tableName };
    await syncCodeManifests(store, loadCodeTools(toolModules));
    const cli = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli([...args, '--registry-table', tableName, '--region', 'us-east-1'], {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
        stdin: Readable.from([]),
        env: {},
        cwd: workDir,
        now: () => NOW,
      });
      return { code, stdout, stderr };
    };
    return { store, cli };
  }

  it('lists the new commands in the overview', async () => {
    const { cli } = await registry();
    const help = await cli(['--help']);
    for (const command of ['import-openapi', 'tools add-http', 'tools show', 'tools remove']) {
      assert.match(help.stdout, new RegExp(`\\n  ${command} `));
    }
    const usage = await cli(['import-openapi', '--help']);
    assert.match(usage.stdout, /Usage: mcp-cluster import-openapi SPEC/);
    assert.match(usage.stdout, /--dry-run/);
  });

  it("shows every option of import-openapi in its usage line, and --include's method_path names as they are made", async () => {
    const { cli } = await registry();
    const help = (await cli(['import-openapi', '--help'])).stdout;
    const usageLine = help.split('\n\n')[0] ?? '';
    const options = (help.split('Options:\n')[1] ?? '').split('\n\n')[0] ?? '';
    const flags = [...options.matchAll(/^ {2}(--[a-z-]+)/gm)].map((match) => match[1]!);
    assert.ok(flags.length >= 9, options);
    for (const flag of [...flags, '--json']) assert.ok(usageLine.includes(`[${flag}`), `${flag} in ${usageLine}`);
    assert.match(help, /--include OP,OP +only these operations \(operationId, or method_path without one, e\.g\. get_/);
  });

  it('prints the plan and writes nothing with --dry-run, then imports, then finds nothing to change', async () => {
    const { store, cli } = await registry();
    const dry = await cli(['import-openapi', SHOP, '--prefix', 'shop_', '--secret', 'shop-api', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /\+ +shop_getPetById +add: GET https:\/\/eu\.shop\.example\/api\/v2\/pets\/\{petId\}/);
    assert.match(dry.stdout, /9 to add, 0 to change, 0 unchanged, 0 to remove\./);
    assert.match(dry.stdout, /Dry run: nothing was written\./);
    assert.match(dry.stderr, /warning: POST \/pets\/\{petId\}\/photo: skipped/);
    assert.ok(![...(await readManifests(store)).keys()].some((name) => name.startsWith('shop_')));

    const run = await cli(['import-openapi', SHOP, '--prefix', 'shop_', '--secret', 'shop-api']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Imported openapi:Pet Shop: 9 added, 0 changed, 0 removed, 0 unchanged\./);
    assert.match(run.stdout, /secrets put shop-api/);
    assert.equal((await readManifests(store)).get('shop_createPet')?.http?.auth?.type, 'header');

    const again = await cli(['import-openapi', SHOP, '--prefix', 'shop_', '--secret', 'shop-api', '--json']);
    assert.equal(again.code, 0, again.stderr);
    const plan = JSON.parse(again.stdout) as Record<string, unknown>;
    assert.deepEqual(plan.add, []);
    assert.equal((plan.unchanged as string[]).length, 9);
    assert.equal(plan.written, true);
    assert.equal(plan.dryRun, false);
  });

  it('imports only --include operations, and names the ones it has for an unknown id (exit 2)', async () => {
    const { store, cli } = await registry();
    const run = await cli(['import-openapi', SHOP, '--include', 'getPetById,listPets', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((JSON.parse(run.stdout) as { add: string[] }).add, ['listPets', 'getPetById']);
    assert.ok((await readManifests(store)).has('getPetById'));

    const unknown = await cli(['import-openapi', SHOP, '--include', 'feedPet']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown operation feedPet; the document has: listPets, createPet/);
  });

  it('answers a value it refuses with the message and a pointer to --help, not 40 lines of options (exit 2)', async () => {
    const { cli } = await registry();
    const relative = join(workDir, 'relative.json');
    writeFileSync(
      relative,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'Relative', version: '1' },
        servers: [{ url: '/api' }],
        paths: { '/x': { get: { operationId: 'x', responses: { 200: { description: 'ok' } } } } },
      }),
    );
    const cases: [string[], RegExp, string][] = [
      [
        ['import-openapi', SHOP, '--include', 'bogusOp'],
        /Unknown operation bogusOp; the document has: /,
        'import-openapi',
      ],
      [['import-openapi', relative], /The server URL "\/api" is not absolute .*give --base-url/, 'import-openapi'],
      [['import-openapi', SHOP, '--base-url', 'api.example.com'], /--base-url needs an absolute/, 'import-openapi'],
      [['tools', 'add-http', 'missing.yaml'], /cannot read missing\.yaml: ENOENT/, 'tools add-http'],
    ];
    for (const [args, message, command] of cases) {
      const run = await cli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.ok(run.stderr.endsWith(`\nRun "mcp-cluster ${command} --help" for the options.\n`), run.stderr);
      assert.doesNotMatch(run.stderr, /Usage:|Options:/);
    }
    const shape = await cli(['import-openapi', SHOP, '--colour', 'red']);
    assert.equal(shape.code, 2);
    assert.match(shape.stderr, /unknown option --colour\n\nUsage: mcp-cluster import-openapi SPEC/);
  });

  it('warns that tools with a credential and no scope are visible to and callable by every key', async () => {
    const { cli } = await registry();
    const open = /no scope: visible to and callable by every key/;
    writeFileSync(join(workDir, 'scoped.yaml'), WEATHER_YAML);
    const scoped = await cli(['tools', 'add-http', 'scoped.yaml']);
    assert.equal(scoped.code, 0, scoped.stderr);
    assert.doesNotMatch(scoped.stderr, open);
    writeFileSync(
      join(workDir, 'open.yaml'),
      WEATHER_YAML.replace('weather_forecast_http', 'open_forecast').replace('scopes: [weather:read]\n', ''),
    );
    const added = await cli(['tools', 'add-http', 'open.yaml']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(
      added.stderr,
      /warning: open_forecast authenticates with a secret and needs no scope: visible to and callable by every key\. Give it scopes \(scopes: \[A, B\] in the file/,
    );

    const imported = await cli(['import-openapi', SHOP, '--prefix', 'shop_', '--secret', 'shop-api', '--dry-run']);
    assert.match(
      imported.stderr,
      /warning: shop_\w+, .*\(\d+ tools\) authenticate with a secret and need no scope: visible to and callable by every key\. Give them scopes \(--scopes A,B/,
    );
    const withScopes = await cli([
      'import-openapi',
      SHOP,
      '--prefix',
      'shop_',
      '--secret',
      'shop-api',
      '--scopes',
      'shop:read',
      '--json',
    ]);
    assert.equal(withScopes.code, 0, withScopes.stderr);
    assert.doesNotMatch(withScopes.stderr, open);
    const noSecret = await cli(['import-openapi', SHOP, '--prefix', 'free_', '--dry-run']);
    assert.doesNotMatch(noSecret.stderr, open, 'tools without a credential may be open');
  });

  it('names the tools of a re-import whose operation is gone, kept without --prune', async () => {
    const { store, cli } = await registry();
    assert.equal((await cli(['import-openapi', SHOP, '--prefix', 'shop_'])).code, 0);
    const smaller = JSON.parse(readFileSync(SHOP, 'utf8')) as { paths: Record<string, unknown> };
    delete smaller.paths['/store/inventory'];
    writeFileSync(join(workDir, 'smaller.json'), JSON.stringify(smaller));
    const run = await cli(['import-openapi', 'smaller.json', '--prefix', 'shop_']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /\n1 tool of this import is gone from the document: shop_getInventory \(kept; --prune removes it\)\.\n/,
    );
    assert.ok((await readManifests(store)).has('shop_getInventory'));
    const json = await cli(['import-openapi', 'smaller.json', '--prefix', 'shop_', '--dry-run', '--json']);
    assert.deepEqual((JSON.parse(json.stdout) as { gone: string[] }).gone, ['shop_getInventory']);
  });

  it('refuses a document without operations, or none that can be a tool, exit 1, writing nothing', async () => {
    const { store, cli } = await registry();
    const before = [...(await readManifests(store)).keys()];
    const empty = join(workDir, 'empty.json');
    writeFileSync(empty, JSON.stringify({ openapi: '3.0.3', info: { title: 'Empty', version: '1' }, paths: {} }));
    const none = await cli(['import-openapi', empty, '--prune']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /The document "Empty" has no operations \(nothing under paths\): nothing imported\./);
    assert.doesNotMatch(none.stdout, /Imported/);

    const upload = join(workDir, 'upload.json');
    writeFileSync(
      upload,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'Upload', version: '1' },
        servers: [{ url: 'https://upload.example' }],
        paths: {
          '/files': {
            post: {
              operationId: 'upload',
              requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object' } } } },
              responses: { 201: { description: 'created' } },
            },
          },
        },
      }),
    );
    const skipped = await cli(['import-openapi', upload]);
    assert.equal(skipped.code, 1);
    assert.match(skipped.stderr, /warning: POST \/files: skipped \(its request body is multipart\/form-data/);
    assert.match(
      skipped.stderr,
      /No operation of .*upload\.json can be a tool \(the warnings say why\): nothing imported\./,
    );
    assert.deepEqual([...(await readManifests(store)).keys()], before);
  });

  it('refuses Swagger 2.0 and a conflict with a code tool, exit 1, writing nothing', async () => {
    const { store, cli } = await registry();
    const swagger = await cli(['import-openapi', SWAGGER]);
    assert.equal(swagger.code, 1);
    assert.match(swagger.stderr, /Swagger 2\.0: only OpenAPI 3\.x is imported/);

    const spec = join(workDir, 'clash.json');
    writeFileSync(
      spec,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'Clash', version: '1' },
        servers: [{ url: 'https://clash.example' }],
        paths: {
          '/calc': { post: { operationId: 'calculate', responses: { 200: { description: 'ok' } } } },
          '/ok': { get: { operationId: 'fine', responses: { 200: { description: 'ok' } } } },
        },
      }),
    );
    const clash = await cli(['import-openapi', spec]);
    assert.equal(clash.code, 1);
    assert.match(clash.stdout, /! +calculate +conflict: a code tool has this name/);
    assert.match(clash.stderr, /Nothing imported: 1 tool name is taken/);
    assert.ok(!(await readManifests(store)).has('fine'));
  });

  it('adds a tool from YAML, updates it from JSON, shows it with secrets by name, and removes it', async () => {
    const { store, cli } = await registry();
    const yamlFile = join(workDir, 'weather.yaml');
    writeFileSync(yamlFile, WEATHER_YAML);
    const added = await cli(['tools', 'add-http', 'weather.yaml']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(
      added.stdout,
      /Added weather_forecast_http \(GET https:\/\/api\.weather\.example\/v1\/forecast, version 1\)/,
    );
    assert.match(added.stdout, /secrets put weather-api/);

    const jsonFile = join(workDir, 'weather.json');
    writeFileSync(
      jsonFile,
      JSON.stringify({
        name: 'weather_forecast_http',
        description: 'Weather forecast for a city, by day.',
        http: {
          inputSchema: {
            type: 'object',
            properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 14 } },
            required: ['city'],
          },
          request: { method: 'GET', url: 'https://api.weather.example/v1/forecast/{city}' },
          auth: { type: 'header', name: 'X-API-Key', secret: 'weather-api' },
        },
      }),
    );
    const updated = await cli(['tools', 'add-http', jsonFile, '--json']);
    assert.equal(updated.code, 0, updated.stderr);
    const result = JSON.parse(updated.stdout) as { created: boolean; manifest: Record<string, unknown> };
    assert.equal(result.created, false);
    assert.equal(result.manifest.version, 2);
    assert.deepEqual(result.manifest.scopes, ['weather:read'], 'policy the file does not set is kept');
    assert.deepEqual(result.manifest.rateLimit, { limit: 30, windowSeconds: 60 });

    const shown = await cli(['tools', 'show', 'weather_forecast_http']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /weather_forecast_http \(HTTP tool\)/);
    assert.match(shown.stdout, /url: https:\/\/api\.weather\.example\/v1\/forecast\/\{city\}/);
    assert.match(shown.stdout, /secret: weather-api/);
    const json = JSON.parse((await cli(['tools', 'show', 'weather_forecast_http', '--json'])).stdout) as Record<
      string,
      unknown
    >;
    assert.equal(json.name, 'weather_forecast_http');
    assert.equal(json.PK, undefined);
    assert.deepEqual((json.http as { auth: unknown }).auth, {
      type: 'header',
      name: 'X-API-Key',
      secret: 'weather-api',
    });

    writeFileSync(join(workDir, 'shown.json'), JSON.stringify({ ...json, description: 'Edited.' }));
    const readded = await cli(['tools', 'add-http', 'shown.json']);
    assert.equal(readded.code, 0, readded.stderr);
    assert.match(readded.stdout, /Updated weather_forecast_http .*version 3/);

    const code = await cli(['tools', 'show', 'calculate']);
    assert.equal(code.code, 0);
    assert.match(code.stdout, /calculate \(code tool\)/);

    const removed = await cli(['tools', 'remove', 'weather_forecast_http']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /Removed weather_forecast_http/);
    assert.ok(!(await readManifests(store)).has('weather_forecast_http'));
    const missing = await cli(['tools', 'show', 'weather_forecast_http']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No tool named "weather_forecast_http"/);
  });

  it('says to store the secret a tool authenticates with only while it is not stored, never printing its value', async () => {
    const { cli } = await registry();
    const prefix = `mcp-cluster/cli-http-${Date.now()}/`;
    writeFileSync(join(workDir, 'weather.yaml'), WEATHER_YAML);
    const before = await cli(['tools', 'add-http', 'weather.yaml', '--secrets-prefix', prefix]);
    assert.equal(before.code, 0, before.stderr);
    assert.match(
      before.stdout,
      /secret weather-api, which is not stored yet: store it with "mcp-cluster secrets put weather-api"/,
    );
    const imported = await cli([
      'import-openapi',
      SHOP,
      '--prefix',
      'shop_',
      '--secret',
      'shop-api',
      '--secrets-prefix',
      prefix,
    ]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /The tools authenticate with the secret shop-api, which is not stored yet/);

    for (const name of ['weather-api', 'shop-api']) {
      await aws.secretsManager.send(
        new CreateSecretCommand({ Name: `${prefix}${name}`, SecretString: 'sk-live-4242' }),
      );
    }
    const after = await cli(['tools', 'add-http', 'weather.yaml', '--secrets-prefix', prefix]);
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /It authenticates with the secret weather-api, which is stored\./);
    assert.doesNotMatch(after.stdout, /secrets put/);
    writeFileSync(join(workDir, 'shop-v2.json'), readFileSync(SHOP, 'utf8').replace(/"summary": "/, '"summary": "v2 '));
    const reimported = await cli([
      'import-openapi',
      'shop-v2.json',
      '--prefix',
      'shop_',
      '--secret',
      'shop-api',
      '--secrets-prefix',
      prefix,
    ]);
    assert.equal(reimported.code, 0, reimported.stderr);
    assert.match(reimported.stdout, /The tools authenticate with the secret shop-api, which is stored\./);
    assert.doesNotMatch(`${after.stdout}${after.stderr}${reimported.stdout}${reimported.stderr}`, /sk-live-4242/);
  });

  it('marks no HTTP tool in tools list as set by policy, and prints the footnote only beside a mark', async () => {
    const { cli } = await registry();
    writeFileSync(join(workDir, 'weather.yaml'), WEATHER_YAML);
    assert.equal((await cli(['tools', 'add-http', 'weather.yaml'])).code, 0);
    const listed = await cli(['tools', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    const row = listed.stdout.split('\n').find((line) => line.startsWith('weather_forecast_http '));
    assert.match(row ?? '', /weather:read +30\/min/);
    assert.doesNotMatch(row ?? '', /\*/);
    assert.doesNotMatch(listed.stdout, /set by policy/);

    assert.equal((await cli(['tools', 'update', 'calculate', '--scopes', 'math'])).code, 0);
    const marked = await cli(['tools', 'list']);
    assert.match(marked.stdout, /\ncalculate +\S+ +math\* /);
    assert.match(marked.stdout, /\* set by policy \(`tools update`\), not by the tool's code/);
  });

  it('refuses to remove a code tool or to add an invalid file, saying why (exit 1)', async () => {
    const { cli } = await registry();
    const code = await cli(['tools', 'remove', 'calculate']);
    assert.equal(code.code, 1);
    assert.match(code.stderr, /calculate is a code tool: it is removed by deleting its folder/);

    writeFileSync(join(workDir, 'broken.yaml'), WEATHER_YAML.replace('method: GET', 'method: FETCH'));
    const broken = await cli(['tools', 'add-http', 'broken.yaml']);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /broken\.yaml is not a valid HTTP tool:\n {2}request\.method/);

    writeFileSync(join(workDir, 'code.yaml'), WEATHER_YAML.replace('weather_forecast_http', 'get_weather_forecast'));
    const clash = await cli(['tools', 'add-http', 'code.yaml']);
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /get_weather_forecast is a code tool/);

    const nofile = await cli(['tools', 'add-http', 'nowhere.yaml']);
    assert.equal(nofile.code, 2);
    assert.match(nofile.stderr, /cannot read nowhere\.yaml: ENOENT/);
  });
});
