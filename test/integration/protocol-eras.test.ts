import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { z } from 'zod';
import { createApiKey } from '../../shared/auth/api-keys.js';
import { loadConfig } from '../../shared/config/config.js';
import { createMcpApp } from '../../shared/mcp/app.js';
import type { McpEndpoint } from '../../shared/mcp/endpoint.js';
import type { HttpResponse } from '../../shared/mcp/http-types.js';
import { defineTool, jsonSchemaInput } from '../../shared/tools/define-tool.js';
import { type LocalAws, silentLogger, startLocalAws } from '../helpers/aws.js';
import { collectingAuditSink, postMcp } from '../helpers/endpoint.js';

const MODERN = '2026-07-28';
const SERVER_INFO = 'io.modelcontextprotocol/serverInfo';

const echo = defineTool({
  name: 'echo',
  description: 'Repeats the text it is given.',
  input: z.object({ text: z.string() }),
  run: async ({ text }) => text,
});

const needsSampling = defineTool({
  name: 'needs_sampling',
  description: 'Needs a client that can sample.',
  input: z.object({}),
  clientCapabilities: { sampling: {} },
  run: async () => 'sampled',
});

const contact = defineTool({
  name: 'contact',
  description: 'Takes a contact described by a JSON Schema with 2020-12 keywords.',
  input: jsonSchemaInput<{ name: string; phone?: string; email?: string }>({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    $defs: { name: { type: 'string', minLength: 1 } },
    properties: { name: { $ref: '#/$defs/name' }, phone: { type: 'string' }, email: { type: 'string' } },
    required: ['name'],
    anyOf: [{ required: ['phone'] }, { required: ['email'] }],
    additionalProperties: false,
  }),
  run: async ({ name, phone, email }) => `${name}: ${phone ?? email}`,
});

const regional = defineTool({
  name: 'regional',
  description: 'Runs in a region that clients mirror into Mcp-Param-Region.',
  input: z.object({ region: z.string().meta({ 'x-mcp-header': 'Region' }) }),
  run: async ({ region }) => `ran in ${region}`,
});

type Body = {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: Record<string, unknown> & { _meta?: Record<string, unknown> };
  error?: { code: number; message: string; data?: Record<string, unknown> };
};

const meta = (overrides: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'integration-test', version: '1.0.0' },
  ...overrides,
});

describe('both protocol eras through the endpoint (in process, dynalite)', () => {
  let aws: LocalAws;
  let endpoint: McpEndpoint;
  let key: string;
  let tableName: string;
  const audit = collectingAuditSink();
  const { records } = audit;

  before(async () => {
    aws = await startLocalAws();
    tableName = await aws.createTable();
    key = (await createApiKey({ client: aws.dynamodb, tableName }, { agentId: 'era-agent', scopes: ['*'] })).key;
    endpoint = createMcpApp({
      config: loadConfig({ REGISTRY_TABLE_NAME: tableName, SERVER_NAME: 'mcp-test', REGISTRY_TTL_MS: '7000' }),
      dynamodb: aws.dynamodb,
      secretsManager: aws.secretsManager,
      codeTools: [echo, needsSampling, contact, regional],
      logger: silentLogger,
      audit,
    });
  });
  after(() => aws.stop());
  beforeEach(() => {
    records.length = 0;
  });

  const send = (body: unknown, headers: Record<string, string | undefined> = {}): Promise<HttpResponse> =>
    postMcp(endpoint, key, body, { headers });

  /** A modern request, with its headers mirrored from the body unless `headers` says otherwise. */
  async function modern(
    method: string,
    params: Record<string, unknown> = {},
    options: { id?: string | number; headers?: Record<string, string | undefined>; meta?: unknown } = {},
  ): Promise<{ status: number; body: Body; response: HttpResponse }> {
    const name = typeof params.name === 'string' ? { 'mcp-name': params.name } : {};
    const response = await send(
      {
        jsonrpc: '2.0',
        id: options.id ?? 'm-1',
        method,
        params: { ...params, ...(options.meta === undefined ? { _meta: meta() } : { _meta: options.meta }) },
      },
      { 'mcp-protocol-version': MODERN, 'mcp-method': method, ...name, ...options.headers },
    );
    return { status: response.statusCode, body: JSON.parse(response.body) as Body, response };
  }

  async function legacy(method: string, params?: Record<string, unknown>, headers: Record<string, string> = {}) {
    const response = await send(
      { jsonrpc: '2.0', id: 'l-1', method, ...(params ? { params } : {}) },
      { 'mcp-protocol-version': '2025-11-25', ...headers },
    );
    return { status: response.statusCode, body: JSON.parse(response.body) as Body };
  }

  describe('the 2026-07-28 era', () => {
    it('answers server/discover with the versions of both eras, the capabilities, caching hints and serverInfo in _meta', async () => {
      const { status, body } = await modern('server/discover');
      assert.equal(status, 200);
      assert.equal(body.id, 'm-1');
      assert.deepEqual(body.result?.supportedVersions, [
        '2026-07-28',
        '2025-11-25',
        '2025-06-18',
        '2025-03-26',
        '2024-11-05',
        '2024-10-07',
      ]);
      assert.deepEqual(body.result?.capabilities, { tools: { listChanged: false } });
      assert.equal(body.result?.resultType, 'complete');
      assert.equal(body.result?.cacheScope, 'public');
      assert.equal(typeof body.result?.ttlMs, 'number');
      assert.deepEqual(body.result?._meta?.[SERVER_INFO], { name: 'mcp-test', version: '0.1.0' });
      assert.equal(typeof body.result?.instructions, 'string');
    });

    it('lists tools in name order with resultType, a private caching hint as fresh as a registry snapshot, and serverInfo', async () => {
      const { status, body } = await modern('tools/list');
      assert.equal(status, 200);
      const tools = body.result?.tools as { name: string }[];
      assert.deepEqual(
        tools.map((tool) => tool.name),
        ['contact', 'echo', 'needs_sampling', 'regional'],
      );
      assert.equal(body.result?.resultType, 'complete');
      assert.equal(body.result?.ttlMs, 7000);
      assert.equal(body.result?.cacheScope, 'private');
      assert.deepEqual(body.result?._meta?.[SERVER_INFO], { name: 'mcp-test', version: '0.1.0' });
      const legacyList = await legacy('tools/list');
      assert.deepEqual(legacyList.body.result?.tools, tools, 'both eras list the same tools');
      assert.equal(legacyList.body.result?.resultType, undefined, 'legacy results carry no resultType');
    });

    it('gives every page of a paginated tools/list the same private caching hint', async () => {
      const paged = createMcpApp({
        config: loadConfig({ REGISTRY_TABLE_NAME: tableName, TOOLS_PAGE_SIZE: '1', REGISTRY_TTL_MS: '7000' }),
        dynamodb: aws.dynamodb,
        secretsManager: aws.secretsManager,
        codeTools: [echo, needsSampling, contact, regional],
        logger: silentLogger,
        audit,
      });
      const hints: string[] = [];
      let cursor: string | undefined;
      do {
        const response = await postMcp(
          paged,
          key,
          {
            jsonrpc: '2.0',
            id: hints.length,
            method: 'tools/list',
            params: { _meta: meta(), ...(cursor ? { cursor } : {}) },
          },
          { headers: { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' } },
        );
        const result = (JSON.parse(response.body) as Body).result!;
        hints.push(`${result.resultType} ${result.ttlMs} ${result.cacheScope}`);
        cursor = result.nextCursor as string | undefined;
      } while (cursor);
      assert.deepEqual(hints, Array(4).fill('complete 7000 private'));
    });

    it('calls a tool and frames its result, keeping the error metadata of a failed call beside serverInfo', async () => {
      const ok = await modern('tools/call', { name: 'echo', arguments: { text: 'hi' } });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body.result?.content, [{ type: 'text', text: 'hi' }]);
      assert.equal(ok.body.result?.resultType, 'complete');
      const bad = await modern('tools/call', { name: 'echo', arguments: { text: 1 } });
      assert.equal(bad.body.result?.isError, true);
      const error = bad.body.result?._meta?.['mcp-cluster/error'] as { code: string } | undefined;
      assert.equal(error?.code, 'INVALID_ARGUMENTS');
      assert.ok(bad.body.result?._meta?.[SERVER_INFO]);
      assert.deepEqual(
        records.map((r) => r.outcome),
        ['success', 'invalid_arguments'],
      );
    });

    it('refuses a tool needing a client capability the request does not declare (-32021, HTTP 400), and audits it', async () => {
      const refused = await modern('tools/call', { name: 'needs_sampling', arguments: {} }, { id: 41 });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.id, 41);
      assert.equal(refused.body.error?.code, -32021);
      assert.deepEqual(refused.body.error?.data, { requiredCapabilities: { sampling: {} } });
      assert.equal(records[0]?.outcome, 'missing_capability');
      const declared = await modern(
        'tools/call',
        { name: 'needs_sampling', arguments: {} },
        { meta: meta({ 'io.modelcontextprotocol/clientCapabilities': { sampling: {} } }) },
      );
      assert.deepEqual(declared.body.result?.content, [{ type: 'text', text: 'sampled' }]);
      const legacyCall = await legacy('tools/call', { name: 'needs_sampling', arguments: {} });
      assert.deepEqual(
        legacyCall.body.result?.content,
        [{ type: 'text', text: 'sampled' }],
        'a legacy request declared its capabilities once, to initialize: nothing is checked',
      );
    });

    it('answers malformed _meta, header mismatches and unsupported versions with HTTP 400, echoing the id', async () => {
      const noMeta = await send(
        { jsonrpc: '2.0', id: 101, method: 'server/discover', params: {} },
        { 'mcp-protocol-version': MODERN, 'mcp-method': 'server/discover' },
      );
      assert.equal(noMeta.statusCode, 400);
      assert.deepEqual([JSON.parse(noMeta.body).id, JSON.parse(noMeta.body).error.code], [101, -32602]);
      const mismatch = await modern(
        'tools/list',
        {},
        { id: 302, meta: meta({ 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' }) },
      );
      assert.deepEqual([mismatch.status, mismatch.body.id, mismatch.body.error?.code], [400, 302, -32020]);
      const unsupported = await modern(
        'tools/list',
        {},
        {
          id: 301,
          headers: { 'mcp-protocol-version': 'v999.0.0' },
          meta: meta({ 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' }),
        },
      );
      assert.deepEqual([unsupported.status, unsupported.body.id, unsupported.body.error?.code], [400, 301, -32022]);
      assert.equal(unsupported.body.error?.data?.requested, 'v999.0.0');
      const wrongName = await modern(
        'tools/call',
        { name: 'echo', arguments: { text: 'x' } },
        { headers: { 'mcp-name': 'other' } },
      );
      assert.deepEqual([wrongName.status, wrongName.body.error?.code], [400, -32020]);
      assert.equal(records.length, 0, 'a refused request reaches no tool');
    });

    it('checks the Mcp-Param header of an x-mcp-header parameter against the argument (-32020 when they differ)', async () => {
      const call = { name: 'regional', arguments: { region: 'eu-west-1' } };
      const agreed = await modern('tools/call', call, { headers: { 'mcp-param-region': 'eu-west-1' } });
      assert.deepEqual(agreed.body.result?.content, [{ type: 'text', text: 'ran in eu-west-1' }]);
      const differs = await modern('tools/call', call, { id: 'p', headers: { 'mcp-param-region': 'us-east-1' } });
      assert.deepEqual([differs.status, differs.body.id, differs.body.error?.code], [400, 'p', -32020]);
      const missing = await modern('tools/call', call);
      assert.deepEqual([missing.status, missing.body.error?.code], [400, -32020]);
      assert.deepEqual(
        records.map((r) => `${r.outcome} ${r.errorCode ?? '-'}`),
        ['success -', 'invalid_arguments HEADER_MISMATCH', 'invalid_arguments HEADER_MISMATCH'],
      );
      const legacyCall = await legacy('tools/call', call);
      assert.equal(legacyCall.body.result?.isError, undefined, 'legacy clients mirror nothing and are not asked to');
    });

    it('answers methods it removed and methods it does not know with HTTP 404 and -32601', async () => {
      for (const method of ['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'unknown/method']) {
        const { status, body } = await modern(method, {}, { id: `gone-${method}` });
        assert.deepEqual([status, body.id, body.error?.code], [404, `gone-${method}`, -32601], method);
      }
    });

    it('refuses a batch, and accepts a notification with 202', async () => {
      const batch = await send([{ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: meta() } }], {
        'mcp-protocol-version': MODERN,
      });
      assert.equal(batch.statusCode, 400);
      assert.equal(JSON.parse(batch.body).error.code, -32600);
      const notification = await send(
        { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: meta() } },
        { 'mcp-protocol-version': MODERN, 'mcp-method': 'notifications/cancelled' },
      );
      assert.equal(notification.statusCode, 202);
    });

    it('ignores an inbound Mcp-Session-Id and never issues one', async () => {
      const { status, response } = await modern('tools/list', {}, { headers: { 'mcp-session-id': 'abc' } });
      assert.equal(status, 200);
      assert.equal(response.headers['mcp-session-id'], undefined);
    });

    it('answers a malformed Authorization header with 400 invalid_request, and a missing one with 401', async () => {
      const malformed = await send(
        { jsonrpc: '2.0', id: 'basic', method: 'tools/list', params: { _meta: meta() } },
        { authorization: 'Basic dXNlcjpwYXNz', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
      );
      assert.equal(malformed.statusCode, 400);
      assert.match(malformed.headers['www-authenticate'] ?? '', /error="invalid_request"/);
      assert.equal(JSON.parse(malformed.body).id, 'basic');
    });

    it('echoes the id in a 401 to a modern request without a credential', async () => {
      const response = await send(
        { jsonrpc: '2.0', id: 'who', method: 'tools/list', params: { _meta: meta() } },
        { authorization: undefined, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
      );
      assert.equal(response.statusCode, 401);
      assert.equal(JSON.parse(response.body).id, 'who');
      assert.doesNotMatch(response.headers['www-authenticate'] ?? '', /error=/, 'no credential, no error code');
    });

    it('echoes the id when it refuses the media type or the Accept header, and answers JSON', async () => {
      const body = { jsonrpc: '2.0', id: 'media', method: 'tools/list', params: { _meta: meta() } };
      const text = await send(body, { 'content-type': 'text/plain' });
      assert.deepEqual([text.statusCode, JSON.parse(text.body).id], [415, 'media']);
      const accept = await send(body, { accept: 'text/html' });
      assert.deepEqual([accept.statusCode, JSON.parse(accept.body).id], [406, 'media']);
      const ok = await modern('tools/list');
      assert.equal(ok.response.headers['content-type'], 'application/json');
    });

    it('refuses a notification naming a version it does not speak, and takes a posted response with 202', async () => {
      const notification = await send(
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { 'mcp-protocol-version': '1900-01-01' },
      );
      assert.equal(notification.statusCode, 400);
      assert.equal(JSON.parse(notification.body).error.code, -32022);
      const response = await send({ jsonrpc: '2.0', id: 5, result: {} }, { 'mcp-protocol-version': '2025-11-25' });
      assert.equal(response.statusCode, 202);
    });

    it('ignores Last-Event-ID: streams are not resumable', async () => {
      const { status, body } = await modern('tools/list', {}, { headers: { 'last-event-id': 'abc-1' } });
      assert.equal(status, 200);
      assert.ok(Array.isArray(body.result?.tools));
    });
  });

  describe('the legacy era', () => {
    it('negotiates a legacy version in initialize, and answers a client asking for 2026-07-28 with 2025-11-25', async () => {
      for (const [asked, answered] of [
        ['2025-03-26', '2025-03-26'],
        ['2026-07-28', '2025-11-25'],
        ['1999-01-01', '2025-11-25'],
      ]) {
        const { body } = await legacy(
          'initialize',
          { protocolVersion: asked, capabilities: {}, clientInfo: { name: 'c', version: '1' } },
          {},
        );
        assert.equal(body.result?.protocolVersion, answered, asked);
      }
    });

    it('answers an initialize with missing or mistyped params with -32602 naming the field', async () => {
      for (const [params, field] of [
        [undefined, 'protocolVersion'],
        [{ protocolVersion: 20251125, capabilities: {}, clientInfo: { name: 'c', version: '1' } }, 'protocolVersion'],
        [{ protocolVersion: '2025-11-25', clientInfo: { name: 'c', version: '1' } }, 'capabilities'],
        [{ protocolVersion: '2025-11-25', capabilities: {} }, 'clientInfo'],
      ] as const) {
        const { status, body } = await legacy('initialize', params as Record<string, unknown> | undefined);
        assert.equal(status, 200);
        assert.equal(body.error?.code, -32602);
        assert.match(body.error?.message ?? '', new RegExp(`"${field}"`));
      }
    });

    it('answers ping and a valid logging/setLevel with exactly {}, and an unknown level with -32602', async () => {
      assert.deepEqual((await legacy('ping')).body.result, {});
      assert.deepEqual((await legacy('logging/setLevel', { level: 'debug' })).body.result, {});
      assert.equal((await legacy('logging/setLevel', { level: 'loud' })).body.error?.code, -32602);
    });

    it('answers a method it does not know with -32601 in an HTTP 200, as 2025-11-25 servers do', async () => {
      const { status, body } = await legacy('resources/list');
      assert.deepEqual([status, body.error?.code], [200, -32601]);
    });
  });

  describe('a tool whose input is a JSON Schema', () => {
    it('is advertised exactly as written, $schema and 2020-12 keywords included', async () => {
      const { body } = await modern('tools/list');
      const tools = (body.result?.tools ?? []) as { name: string; inputSchema: Record<string, unknown> }[];
      const listed = tools.find((tool) => tool.name === 'contact');
      assert.equal(listed?.inputSchema.$schema, 'https://json-schema.org/draft/2020-12/schema');
      assert.deepEqual(listed?.inputSchema.anyOf, [{ required: ['phone'] }, { required: ['email'] }]);
    });

    it('checks arguments against it, naming each problem, and runs with valid ones', async () => {
      const bad = await modern('tools/call', { name: 'contact', arguments: { name: '', fax: '1' } });
      assert.equal(bad.body.result?.isError, true);
      const text = ((bad.body.result?.content ?? []) as { text: string }[])[0]?.text ?? '';
      assert.match(text, /fax: is not an accepted argument/);
      assert.match(text, /name: must NOT have fewer than 1 characters/);
      const ok = await modern('tools/call', { name: 'contact', arguments: { name: 'Ada', email: 'ada@example.com' } });
      assert.deepEqual(ok.body.result?.content, [{ type: 'text', text: 'Ada: ada@example.com' }]);
    });
  });
});
