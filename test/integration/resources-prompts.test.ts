import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { z } from 'zod';
import { setEnabled, updatePolicy } from '../../shared/admin/tools.js';
import { createApiKey } from '../../shared/auth/api-keys.js';
import { loadConfig } from '../../shared/config/config.js';
import { ToolError } from '../../shared/errors/errors.js';
import { createMcpApp } from '../../shared/mcp/app.js';
import type { McpEndpoint } from '../../shared/mcp/endpoint.js';
import { syncCodeManifests } from '../../shared/registry/sync.js';
import { definePrompt } from '../../shared/tools/define-prompt.js';
import { defineResource } from '../../shared/tools/define-resource.js';
import { defineTool } from '../../shared/tools/define-tool.js';
import { type LocalAws, silentLogger, startLocalAws } from '../helpers/aws.js';
import { collectingAuditSink, postMcp } from '../helpers/endpoint.js';

const MODERN = '2026-07-28';
const SECRET_VALUE = 'canary-d41d8cd98f00b204';

const echo = defineTool({
  name: 'echo',
  title: 'Echo',
  description: 'Repeats the text it is given.',
  input: z.object({ text: z.string() }),
  annotations: { readOnlyHint: true },
  run: async ({ text }) => text,
});
const admin = defineTool({
  name: 'admin_only',
  description: 'Needs the admin scope.',
  input: z.object({}),
  scopes: ['admin'],
  run: async () => 'ok',
});

const handbook = defineResource({
  name: 'handbook',
  title: 'Handbook',
  description: 'The team handbook.',
  uri: 'docs://handbook',
  mimeType: 'text/markdown',
  size: 12,
  annotations: { audience: ['user'], priority: 0.5 },
  cacheTtlMs: 60_000,
  read: async () => '# Handbook\n',
});
const logo = defineResource({
  name: 'logo',
  description: 'The logo, as PNG bytes.',
  uri: 'docs://logo.png',
  mimeType: 'image/png',
  read: async () => ({ blob: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) }),
});
const catalog = defineResource({
  name: 'catalog',
  description: 'The tools the caller may call.',
  uri: 'docs://catalog',
  mimeType: 'application/json',
  read: async (_request, ctx) => JSON.stringify(ctx.catalog().map((tool) => tool.name)),
});
const secretNotes = defineResource({
  name: 'secret_notes',
  description: 'Needs the notes scope; reads with a secret.',
  uri: 'notes://all',
  scopes: ['notes:read'],
  secrets: { notes: 'notes-api' },
  // Echoes its secret: the answer must not carry it.
  read: async (_request, ctx) => `notes read with ${ctx.secrets.notes}`,
});
const orders = defineResource({
  name: 'order',
  description: 'One order by id.',
  uriTemplate: 'orders://{region}/{orderId}',
  mimeType: 'application/json',
  complete: {
    region: ['eu-west', 'eu-north', 'us-east'],
    orderId: async (value, ctx) =>
      Array.from({ length: 150 }, (_, i) => `${ctx.arguments.region ?? 'any'}-${1000 + i}`).filter((id) =>
        id.includes(value),
      ),
  },
  async read({ uri, variables }) {
    if (variables.orderId === 'missing') throw new ToolError('RESOURCE_NOT_FOUND', 'No such order.');
    if (variables.orderId === 'down')
      throw new ToolError('UPSTREAM_UNAVAILABLE', 'Orders are down.', { retryable: true });
    if (variables.orderId === 'empty') return [];
    return { uri, text: JSON.stringify(variables) };
  },
});
const greeting = definePrompt({
  name: 'greeting',
  title: 'Greeting',
  description: 'Greets someone.',
  arguments: {
    name: { description: 'Who to greet.', required: true, complete: Array.from({ length: 150 }, (_, i) => `Ann${i}`) },
    tone: { description: 'How.', complete: ['formal', 'Friendly', 'funny'] },
  },
  get: async ({ name, tone }) => ({
    description: `Greeting ${name}`,
    messages: [
      { role: 'user', content: { type: 'resource', resource: { uri: 'docs://handbook', text: '# Handbook' } } },
      { role: 'user', content: { type: 'text', text: `Greet ${name}${tone ? `, ${tone}` : ''}.` } },
    ],
  }),
});
const secretPrompt = definePrompt({
  name: 'secret_prompt',
  description: 'Needs the notes scope.',
  scopes: ['notes:read'],
  get: async () => 'hidden',
});

type Body = {
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: Record<string, unknown> };
};

describe('resources, prompts and completions through the endpoint (in process, dynalite)', () => {
  let aws: LocalAws;
  let tableName: string;
  let endpoint: McpEndpoint;
  let everything: string;
  let narrow: string;
  const audit = collectingAuditSink();
  const { records } = audit;
  const app = () =>
    createMcpApp({
      config: loadConfig({
        REGISTRY_TABLE_NAME: tableName,
        SERVER_NAME: 'mcp-test',
        REGISTRY_TTL_MS: '60000',
        TOOLS_PAGE_SIZE: '2',
        SECRETS_PREFIX: 'test/',
      }),
      dynamodb: aws.dynamodb,
      secretsManager: aws.secretsManager,
      codeTools: [echo, admin],
      codeResources: [handbook, logo, catalog, secretNotes, orders],
      codePrompts: [greeting, secretPrompt],
      logger: silentLogger,
      audit,
    });

  before(async () => {
    aws = await startLocalAws();
    tableName = await aws.createTable();
    await aws.putSecret('test/notes-api', SECRET_VALUE);
    const table = { client: aws.dynamodb, tableName };
    everything = (await createApiKey(table, { agentId: 'all', scopes: ['*'] })).key;
    narrow = (await createApiKey(table, { agentId: 'narrow', scopes: ['docs'] })).key;
    await syncCodeManifests(table, [echo, admin], new Date(), {
      resources: [handbook, logo, catalog, secretNotes, orders],
      prompts: [greeting, secretPrompt],
    });
    endpoint = app();
  });
  after(() => aws.stop());
  beforeEach(() => {
    records.length = 0;
  });

  async function call(
    method: string,
    params: Record<string, unknown> = {},
    options: { key?: string; era?: 'legacy' | 'modern'; to?: McpEndpoint } = {},
  ): Promise<Body & { status: number }> {
    const modern = options.era === 'modern';
    // What 2026-07-28 clients mirror into Mcp-Name: a tool's or prompt's name, a resource's URI.
    const routed = method === 'resources/read' ? params.uri : params.name;
    const name = typeof routed === 'string' ? { 'mcp-name': routed } : {};
    const response = await postMcp(
      options.to ?? endpoint,
      options.key ?? everything,
      {
        jsonrpc: '2.0',
        id: 1,
        method,
        params: modern
          ? {
              ...params,
              _meta: {
                'io.modelcontextprotocol/protocolVersion': MODERN,
                'io.modelcontextprotocol/clientCapabilities': {},
                'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1.0.0' },
              },
            }
          : params,
      },
      {
        headers: {
          'mcp-protocol-version': modern ? MODERN : '2025-11-25',
          ...(modern ? { 'mcp-method': method, ...name } : {}),
        },
      },
    );
    return { status: response.statusCode, ...(JSON.parse(response.body) as Body) };
  }

  it('declares resources (without subscriptions), prompts and completions in both eras', async () => {
    const init = await call('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'test', version: '1.0.0' },
    });
    const capabilities = init.result?.capabilities as Record<string, unknown>;
    assert.deepEqual(capabilities.resources, { subscribe: false, listChanged: false });
    assert.deepEqual(capabilities.prompts, { listChanged: false });
    assert.deepEqual(capabilities.completions, {});
    const discover = await call('server/discover', {}, { era: 'modern' });
    assert.deepEqual((discover.result!.capabilities as Record<string, unknown>).completions, {});
    assert.equal(discover.status, 200);
  });

  it('lists static resources and templates apart, in name order, paginated, each as its module declares it', async () => {
    const first = await call('resources/list');
    const page = first.result as { resources: Record<string, unknown>[]; nextCursor?: string };
    assert.deepEqual(
      page.resources.map((r) => r.name),
      ['catalog', 'handbook'],
    );
    assert.deepEqual(page.resources[1], {
      uri: 'docs://handbook',
      name: 'handbook',
      title: 'Handbook',
      description: 'The team handbook.',
      mimeType: 'text/markdown',
      size: 12,
      annotations: { audience: ['user'], priority: 0.5 },
    });
    const second = await call('resources/list', { cursor: page.nextCursor });
    assert.deepEqual(
      (second.result as { resources: { name: string }[] }).resources.map((r) => r.name),
      ['logo', 'secret_notes'],
    );
    const templates = await call('resources/templates/list');
    assert.deepEqual(templates.result, {
      resourceTemplates: [
        {
          uriTemplate: 'orders://{region}/{orderId}',
          name: 'order',
          description: 'One order by id.',
          mimeType: 'application/json',
        },
      ],
    });
    const bad = await call('resources/list', { cursor: 'not-ours' });
    assert.equal(bad.error?.code, -32602);
  });

  it('shows a caller only what its scopes allow, and answers what it may not read exactly like what does not exist', async () => {
    const listed = await call('resources/list', {}, { key: narrow });
    assert.ok(!JSON.stringify(listed.result).includes('secret_notes'));
    for (const era of ['legacy', 'modern'] as const) {
      const hidden = await call('resources/read', { uri: 'notes://all' }, { key: narrow, era });
      const unknown = await call('resources/read', { uri: 'notes://nothing' }, { key: narrow, era });
      assert.equal(hidden.error?.code, era === 'modern' ? -32602 : -32002, era);
      assert.deepEqual(hidden.error?.data, { uri: 'notes://all' });
      assert.equal(unknown.error?.code, hidden.error?.code);
      assert.equal(
        hidden.error?.message.replace('notes://all', 'X'),
        unknown.error?.message.replace('notes://nothing', 'X'),
      );
      const prompt = await call('prompts/get', { name: 'secret_prompt' }, { key: narrow, era });
      assert.equal(prompt.error?.code, -32602);
      assert.match(prompt.error?.message ?? '', /Unknown prompt: secret_prompt/);
    }
    const prompts = await call('prompts/list', {}, { key: narrow });
    assert.deepEqual(
      (prompts.result as { prompts: { name: string }[] }).prompts.map((p) => p.name),
      ['greeting'],
    );
    const refusals = records.filter((r) => r.outcome === 'unknown_tool');
    assert.ok(refusals.some((r) => r.tool === 'resource:notes://all' && r.agentId === 'narrow'));
  });

  it('reads text, binary and templated resources, with the caching hint in the modern era only', async () => {
    const legacy = await call('resources/read', { uri: 'docs://handbook' });
    assert.deepEqual(legacy.result, {
      contents: [{ uri: 'docs://handbook', mimeType: 'text/markdown', text: '# Handbook\n' }],
    });
    const modern = await call('resources/read', { uri: 'docs://handbook' }, { era: 'modern' });
    assert.equal(modern.result?.ttlMs, 60_000);
    assert.equal(modern.result?.cacheScope, 'private');
    assert.equal(modern.result?.resultType, 'complete');
    const binary = await call('resources/read', { uri: 'docs://logo.png' });
    assert.deepEqual(binary.result, {
      contents: [{ uri: 'docs://logo.png', mimeType: 'image/png', blob: 'iVBORw==' }],
    });
    const templated = await call('resources/read', { uri: 'orders://eu-west/A%2012' });
    assert.deepEqual(JSON.parse((templated.result as { contents: { text: string }[] }).contents[0]!.text), {
      region: 'eu-west',
      orderId: 'A 12',
    });
    const catalogued = await call('resources/read', { uri: 'docs://catalog' }, { key: narrow });
    assert.deepEqual(JSON.parse((catalogued.result as { contents: { text: string }[] }).contents[0]!.text), ['echo']);
    const audited = records.filter((r) => r.outcome === 'success').map((r) => r.tool);
    assert.deepEqual(audited, [
      'resource:handbook',
      'resource:handbook',
      'resource:logo',
      'resource:order',
      'resource:catalog',
    ]);
  });

  it('answers a read that finds nothing as an unknown resource, and a failing one with its code and retryability', async () => {
    for (const uri of ['orders://eu/missing', 'orders://eu/empty']) {
      const modern = await call('resources/read', { uri }, { era: 'modern' });
      assert.equal(modern.error?.code, -32602, uri);
      assert.equal(modern.error?.data?.uri, uri);
    }
    const down = await call('resources/read', { uri: 'orders://eu/down' });
    assert.equal(down.error?.code, -32603);
    assert.equal(down.error?.message, 'Orders are down.');
    assert.deepEqual(down.error?.data, { code: 'UPSTREAM_UNAVAILABLE', retryable: true });
    const noUri = await call('resources/read', {});
    assert.equal(noUri.error?.code, -32602);
    assert.equal(noUri.error?.data?.field, 'uri');
  });

  it("resolves only the resource's own secrets, and never answers with their values", async () => {
    const read = await call('resources/read', { uri: 'notes://all' });
    const text = JSON.stringify(read.result);
    assert.ok(text.includes('notes read with'));
    assert.ok(!text.includes(SECRET_VALUE), 'the secret is scrubbed from the answer');
  });

  it('gets a prompt with its arguments checked first, each problem naming its field', async () => {
    const missing = await call('prompts/get', { name: 'greeting', arguments: { tone: 'formal' } });
    assert.equal(missing.error?.code, -32602);
    assert.equal(missing.error?.data?.field, 'arguments.name');
    const extra = await call('prompts/get', { name: 'greeting', arguments: { name: 'Ada', mood: 'x' } });
    assert.equal(extra.error?.data?.field, 'arguments.mood');
    assert.match(extra.error?.message ?? '', /takes no argument "mood" \(it takes: name, tone\)/);
    const notString = await call('prompts/get', { name: 'greeting', arguments: { name: 42 } });
    assert.equal(notString.error?.data?.field, 'arguments.name');
    for (const era of ['legacy', 'modern'] as const) {
      const got = await call('prompts/get', { name: 'greeting', arguments: { name: 'Ada' } }, { era });
      assert.equal(got.result?.description, 'Greeting Ada');
      const messages = got.result?.messages as { content: { type: string; text?: string } }[];
      assert.equal(messages[0]!.content.type, 'resource');
      assert.equal(messages[1]!.content.text, 'Greet Ada.');
    }
    const listed = await call('prompts/list');
    assert.deepEqual((listed.result as { prompts: unknown[] }).prompts[0], {
      name: 'greeting',
      title: 'Greeting',
      description: 'Greets someone.',
      arguments: [
        { name: 'name', description: 'Who to greet.', required: true },
        { name: 'tone', description: 'How.', required: false },
      ],
    });
    assert.deepEqual(
      records.map((r) => [r.tool, r.outcome]),
      [
        ['prompt:greeting', 'success'],
        ['prompt:greeting', 'success'],
      ],
    );
  });

  it('completes prompt arguments and template variables by prefix, case-insensitively, at most 100 at a time', async () => {
    const complete = (ref: Record<string, unknown>, name: string, value: string, context?: Record<string, string>) =>
      call('completion/complete', {
        ref,
        argument: { name, value },
        ...(context ? { context: { arguments: context } } : {}),
      });
    const tones = await complete({ type: 'ref/prompt', name: 'greeting' }, 'tone', 'f');
    assert.deepEqual(tones.result, {
      completion: { values: ['formal', 'Friendly', 'funny'], total: 3, hasMore: false },
    });
    const many = (await complete({ type: 'ref/prompt', name: 'greeting' }, 'name', 'ann')).result?.completion as {
      values: string[];
      total: number;
      hasMore: boolean;
    };
    assert.equal(many.values.length, 100);
    assert.equal(many.total, 150);
    assert.equal(many.hasMore, true);
    const regions = await complete({ type: 'ref/resource', uri: 'orders://{region}/{orderId}' }, 'region', 'eu');
    assert.deepEqual((regions.result!.completion as { values: string[] }).values, ['eu-west', 'eu-north']);
    const ids = await complete(
      { type: 'ref/resource', uri: 'orders://{region}/{orderId}' },
      'orderId',
      'eu-north-104',
      {
        region: 'eu-north',
      },
    );
    assert.deepEqual((ids.result!.completion as { values: string[] }).values, [
      'eu-north-1040',
      'eu-north-1041',
      'eu-north-1042',
      'eu-north-1043',
      'eu-north-1044',
      'eu-north-1045',
      'eu-north-1046',
      'eu-north-1047',
      'eu-north-1048',
      'eu-north-1049',
    ]);
    const unknownArgument = await complete({ type: 'ref/prompt', name: 'greeting' }, 'colour', '');
    assert.equal(unknownArgument.error?.data?.field, 'argument.name');
    const hidden = await call(
      'completion/complete',
      { ref: { type: 'ref/prompt', name: 'secret_prompt' }, argument: { name: 'x', value: '' } },
      { key: narrow },
    );
    assert.equal(hidden.error?.code, -32602);
    assert.equal(hidden.error?.data?.field, 'ref.name');
  });

  it('follows operator policy in the registry: a disabled resource is unknown, a re-scoped prompt hidden', async () => {
    const table = { client: aws.dynamodb, tableName };
    await setEnabled(table, 'handbook', false, { kind: 'resource' });
    await updatePolicy(table, 'greeting', { scopes: ['greeters'] }, { kind: 'prompt' });
    const fresh = app();
    try {
      const read = await call('resources/read', { uri: 'docs://handbook' }, { to: fresh });
      assert.equal(read.error?.code, -32002);
      const listed = await call('resources/list', {}, { to: fresh });
      assert.ok(!JSON.stringify(listed.result).includes('handbook'));
      const prompt = await call(
        'prompts/get',
        { name: 'greeting', arguments: { name: 'Ada' } },
        { key: narrow, to: fresh },
      );
      assert.equal(prompt.error?.code, -32602);
    } finally {
      await setEnabled(table, 'handbook', true, { kind: 'resource' });
      await updatePolicy(table, 'greeting', { scopes: null }, { kind: 'prompt' });
    }
  });

  it('serves neither resources nor prompts where the code has none: their methods are unknown', async () => {
    const toolsOnly = createMcpApp({
      config: loadConfig({ REGISTRY_TABLE_NAME: tableName, SERVER_NAME: 'mcp-test' }),
      dynamodb: aws.dynamodb,
      secretsManager: aws.secretsManager,
      codeTools: [echo],
      logger: silentLogger,
      audit,
    });
    const init = await call(
      'initialize',
      { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1.0.0' } },
      { to: toolsOnly },
    );
    assert.deepEqual(Object.keys(init.result!.capabilities as object).sort(), ['logging', 'tools']);
    assert.equal((await call('resources/list', {}, { to: toolsOnly })).error?.code, -32601);
    assert.equal((await call('prompts/get', { name: 'greeting' }, { to: toolsOnly })).error?.code, -32601);
  });
});
