import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, McpError } from '@modelcontextprotocol/sdk/types.js';
import { createApiKey } from '../../shared/auth/api-keys.js';
import type { HttpToolSpec } from '../../shared/http-tools/spec.js';
import {
  awaitAuditRecords,
  type ConnectedClient,
  connectClient,
  post,
  sleep,
  startTestCluster,
  type TestCluster,
} from '../helpers/cluster.js';
import { type DnsServer, startDnsServer } from '../helpers/dns-server.js';
import { json, startUpstream, type Upstream } from '../helpers/upstream.js';

const TTL_MS = 400;
const SECRETS = {
  bearer: `bearer-${Math.random().toString(36).slice(2)}-token`,
  header: `hdr-${Math.random().toString(36).slice(2)}-key`,
  query: `qry-${Math.random().toString(36).slice(2)}-key`,
  password: `pw-${Math.random().toString(36).slice(2)}-word`,
};

type Call = Awaited<ReturnType<Client['callTool']>> & CallToolResult;

describe('manifest-only HTTP tools, through the local cluster', () => {
  let cluster: TestCluster;
  let api: Upstream;
  let dns: DnsServer;
  let dev: ConnectedClient;
  const since = new Date().toISOString();

  const putManifest = (name: string, http: HttpToolSpec, extra: Record<string, unknown> = {}) =>
    cluster.dynamodb.send(
      new PutItemCommand({
        TableName: cluster.tableName,
        Item: marshall(
          { PK: 'TOOL', SK: name, source: 'http', description: `HTTP tool ${name}`, version: 1, http, ...extra },
          { removeUndefinedValues: true },
        ),
      }),
    );

  const call = async (name: string, args: Record<string, unknown> = {}, client = dev.client) =>
    (await client.callTool({ name, arguments: args })) as Call;
  const text = (result: Call) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  const errorOf = (result: Call) => (result.structuredContent as { error: { code: string; retryable: boolean } }).error;

  before(async () => {
    api = await startUpstream(async (req, res) => {
      const seen = { method: req.method, path: req.path, query: Object.fromEntries(req.query), body: req.body };
      if (req.path.startsWith('/v1/forecast/')) {
        return json(res, 200, { ...seen, trace: req.headers['x-trace'] ?? null, tags: req.query.getAll('tag') });
      }
      if (req.path.startsWith('/tickets/')) return json(res, 201, { id: 'T-1', ...seen });
      if (req.path === '/auth/header') {
        return req.headers['x-api-key'] === `Key ${SECRETS.header}` ? json(res, 200, { ok: true }) : json(res, 401, {});
      }
      if (req.path === '/auth/query') {
        return req.query.get('api_key') === SECRETS.query ? json(res, 200, { ok: true }) : json(res, 401, {});
      }
      if (req.path === '/auth/basic') {
        const expected = `Basic ${Buffer.from(`robot:${SECRETS.password}`).toString('base64')}`;
        return req.headers.authorization === expected ? json(res, 200, { ok: true }) : json(res, 401, {});
      }
      if (req.path === '/auth/refused') {
        return json(res, 403, { message: `token ${req.headers.authorization} is not allowed here` });
      }
      if (req.path === '/status/404') return json(res, 404, { message: 'No city called Atlantis' });
      if (req.path === '/status/500') return json(res, 500, { error: { message: 'database exploded' } });
      if (req.path === '/status/503') return json(res, 503, { message: 'maintenance' }, { 'retry-after': '30' });
      if (req.path === '/slow') return void setTimeout(() => json(res, 200, { late: true }), 3_000);
      if (req.path === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '250000' });
        return void res.end('y'.repeat(250_000));
      }
      if (req.path === '/redirect-metadata') {
        return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/' }).end();
      }
      if (req.path === '/hello') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('hello there');
      json(res, 404, { message: 'unknown route' });
    });
    dns = await startDnsServer({ 'api.test': ['127.0.0.1'], 'evil.test': ['169.254.169.254'] });
    cluster = await startTestCluster({
      env: { REGISTRY_TTL_MS: String(TTL_MS), SECRETS_TTL_MS: String(TTL_MS), LOG_LEVEL: 'debug' },
      outboundDnsServers: [dns.server],
    });
    for (const [name, value] of Object.entries({
      'e2e/bearer': SECRETS.bearer,
      'e2e/header': JSON.stringify({ key: SECRETS.header, note: 'the key for the ticket API' }),
      'e2e/query': SECRETS.query,
      'e2e/basic': JSON.stringify({ username: 'robot', password: SECRETS.password }),
    })) {
      await cluster.secretsManager.send(
        new CreateSecretCommand({ Name: `${cluster.secretsPrefix}${name}`, SecretString: value }),
      );
    }

    const get = (path: string, extra: Partial<HttpToolSpec['request']> = {}): HttpToolSpec['request'] => ({
      method: 'GET',
      url: `${api.url}${path}`,
      ...extra,
    });
    const noArgs = { type: 'object', properties: {} };
    await putManifest('forecast_http', {
      inputSchema: {
        type: 'object',
        properties: {
          city: { type: 'string', minLength: 1 },
          days: { type: 'integer', minimum: 1, maximum: 14 },
          trace: { type: 'string' },
          tags: { type: 'array', items: { type: 'string' } },
        },
        required: ['city'],
        additionalProperties: false,
      },
      request: get('/v1/forecast/{city}?units=metric', {
        arguments: { trace: { in: 'header', name: 'X-Trace' }, tags: { in: 'query', name: 'tag' } },
      }),
      auth: { type: 'bearer', secret: 'e2e/bearer' },
    });
    await putManifest(
      'create_ticket',
      {
        inputSchema: {
          type: 'object',
          properties: { project: { type: 'string' }, title: { type: 'string' }, priority: { enum: ['low', 'high'] } },
          required: ['project', 'title'],
        },
        request: { method: 'POST', url: `${api.url}/tickets/{project}` },
      },
      { scopes: ['tickets:write'] },
    );
    await putManifest('header_auth', {
      inputSchema: noArgs,
      request: get('/auth/header'),
      auth: { type: 'header', secret: 'e2e/header', field: 'key', name: 'X-API-Key', prefix: 'Key ' },
    });
    await putManifest('query_auth', {
      inputSchema: noArgs,
      request: get('/auth/query'),
      auth: { type: 'query', secret: 'e2e/query', name: 'api_key' },
    });
    await putManifest('basic_auth', {
      inputSchema: noArgs,
      request: get('/auth/basic'),
      auth: { type: 'basic', secret: 'e2e/basic' },
    });
    await putManifest('refused_auth', {
      inputSchema: noArgs,
      request: get('/auth/refused'),
      auth: { type: 'bearer', secret: 'e2e/bearer' },
    });
    await putManifest('upstream_status', {
      inputSchema: { type: 'object', properties: { code: { type: 'integer' } }, required: ['code'] },
      request: get('/status/{code}', { retries: 1 }),
    });
    await putManifest('slow_upstream', { inputSchema: noArgs, request: get('/slow', { timeoutMs: 500 }) });
    await putManifest('big_upstream', { inputSchema: noArgs, request: get('/big'), response: { maxBytes: 1_000 } });
    await putManifest('metadata_direct', {
      inputSchema: noArgs,
      request: { method: 'GET', url: 'http://169.254.169.254/latest/meta-data/' },
    });
    await putManifest('metadata_v6', {
      inputSchema: noArgs,
      request: { method: 'GET', url: 'http://[fd00:ec2::254]/latest/meta-data/' },
    });
    await putManifest('metadata_redirect', {
      inputSchema: noArgs,
      request: get('/redirect-metadata', { allowedHosts: [api.url.slice('http://'.length), '169.254.169.254'] }),
      auth: { type: 'bearer', secret: 'e2e/bearer' },
    });
    await putManifest('offsite_redirect', { inputSchema: noArgs, request: get('/redirect-metadata') });
    await putManifest('dns_rebound', {
      inputSchema: noArgs,
      request: { method: 'GET', url: `http://evil.test:${api.port}/hello` },
    });
    await putManifest('dns_named', {
      inputSchema: noArgs,
      request: { method: 'GET', url: `http://api.test:${api.port}/hello` },
    });
    await putManifest('broken_manifest', {
      inputSchema: { type: 'object', properties: { a: { type: 'no-such-type' } } },
      request: get('/hello'),
    });
    await sleep(TTL_MS + 100);
    dev = await connectClient(cluster.url, cluster.apiKey);
  });

  after(async () => {
    await dev?.client.close();
    await cluster?.dispose();
    await Promise.all([api?.close(), dns?.close()]);
  });

  it('lists manifest tools with their schema and default annotations, and skips a manifest that does not compile', async () => {
    const { tools } = await dev.client.listTools();
    const forecast = tools.find((tool) => tool.name === 'forecast_http');
    assert.ok(forecast);
    assert.equal(forecast.description, 'HTTP tool forecast_http');
    assert.deepEqual(forecast.inputSchema.required, ['city']);
    assert.deepEqual(forecast.annotations, { readOnlyHint: true, idempotentHint: true, openWorldHint: true });
    assert.equal(tools.find((tool) => tool.name === 'create_ticket')?.annotations?.readOnlyHint, undefined);
    assert.ok(!tools.some((tool) => tool.name === 'broken_manifest'));
    assert.ok(
      tools.some((tool) => tool.name === 'calculate'),
      'code tools are still served',
    );
    assert.ok(cluster.logs.some((line) => line.includes('broken_manifest') && line.includes('does not compile')));
  });

  it('maps path, query and header arguments and injects the bearer token', async () => {
    const result = await call('forecast_http', { city: 'São Paulo/Centro', days: 3, trace: 't-1', tags: ['a', 'b'] });
    assert.equal(result.isError, undefined);
    const seen = api.hits('/v1/forecast/').at(-1)!;
    assert.equal(seen.path, '/v1/forecast/S%C3%A3o%20Paulo%2FCentro');
    assert.equal(seen.query.get('days'), '3');
    assert.equal(seen.query.get('units'), 'metric', 'the template keeps its own query');
    assert.deepEqual(seen.query.getAll('tag'), ['a', 'b']);
    assert.equal(seen.headers['x-trace'], 't-1');
    assert.equal(seen.headers.authorization, `Bearer ${SECRETS.bearer}`);
    assert.equal(seen.headers['user-agent'], 'mcp-cluster');
    const structured = result.structuredContent as { path: string; trace: string };
    assert.equal(structured.trace, 't-1');
    assert.deepEqual(JSON.parse(text(result)), structured);
  });

  it('sends the remaining arguments of a POST as a JSON body', async () => {
    const result = await call('create_ticket', { project: 'ops', title: 'Disk full', priority: 'high' });
    assert.equal(result.isError, undefined);
    const seen = api.hits('/tickets/').at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, '/tickets/ops');
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(seen.body), { title: 'Disk full', priority: 'high' });
    assert.equal((result.structuredContent as { id: string }).id, 'T-1');
  });

  it('rejects invalid arguments naming the field, before calling the upstream', async () => {
    const before = api.requests.length;
    const missing = await call('forecast_http', { days: 99 });
    assert.equal(missing.isError, true);
    assert.match(text(missing), /city: is required/);
    assert.match(text(missing), /days: must be <= 14/);
    const badEnum = await call('create_ticket', { project: 'ops', title: 'x', priority: 'urgent' });
    assert.equal(badEnum.isError, true);
    assert.match(text(badEnum), /priority: must be one of "low", "high"/);
    assert.equal(api.requests.length, before);
  });

  it('authenticates with an API-key header, a query parameter and basic auth from Secrets Manager', async () => {
    for (const tool of ['header_auth', 'query_auth', 'basic_auth']) {
      const result = await call(tool);
      assert.equal(result.isError, undefined, `${tool}: ${text(result)}`);
      assert.deepEqual(result.structuredContent, { ok: true });
    }
  });

  it('says when the upstream refused the credentials, without echoing them', async () => {
    const result = await call('refused_auth');
    assert.equal(result.isError, true);
    assert.equal(errorOf(result).code, 'UPSTREAM_UNAUTHORIZED');
    assert.equal(errorOf(result).retryable, false);
    assert.match(text(result), /HTTP 403/);
    assert.match(text(result), /\[REDACTED\]/);
    assert.ok(!JSON.stringify(result).includes(SECRETS.bearer));
  });

  it('turns upstream 404, 500 and 503 into errors that say what went wrong and whether to retry', async () => {
    const notFound = await call('upstream_status', { code: 404 });
    assert.equal(errorOf(notFound).code, 'UPSTREAM_NOT_FOUND');
    assert.match(text(notFound), /No city called Atlantis/);
    assert.equal(errorOf(notFound).retryable, false);

    const failed = await call('upstream_status', { code: 500 });
    assert.equal(errorOf(failed).code, 'UPSTREAM_UNAVAILABLE');
    assert.match(text(failed), /HTTP 500.*database exploded/);
    assert.equal(errorOf(failed).retryable, false);

    const before = api.hits('/status/503').length;
    const unavailable = await call('upstream_status', { code: 503 });
    assert.equal(errorOf(unavailable).code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(errorOf(unavailable).retryable, true);
    assert.match(text(unavailable), /maintenance/);
    assert.equal(api.hits('/status/503').length - before, 1, 'a Retry-After of 30 s is not waited for');
  });

  it('times out a slow upstream at the tool deadline', async () => {
    const started = Date.now();
    const result = await call('slow_upstream');
    assert.equal(result.isError, true);
    assert.equal(errorOf(result).code, 'TIMEOUT');
    assert.ok(Date.now() - started < 2_500);
  });

  it('truncates a large response with an explicit note', async () => {
    const result = await call('big_upstream');
    assert.equal(result.isError, undefined);
    assert.equal(result.structuredContent, undefined);
    assert.match(text(result), /^y{1000}\n\n\[Response truncated: showed the first 1000 bytes of 250000\]$/);
  });

  it('refuses the metadata address, directly, by redirect and by DNS', async () => {
    const before = api.requests.length;
    for (const tool of ['metadata_direct', 'metadata_v6', 'metadata_redirect', 'offsite_redirect', 'dns_rebound']) {
      const result = await call(tool);
      assert.equal(result.isError, true, tool);
      assert.equal(errorOf(result).code, 'OUTBOUND_FORBIDDEN', `${tool}: ${text(result)}`);
      assert.equal(errorOf(result).retryable, false);
      assert.ok(!JSON.stringify(result).includes(SECRETS.bearer));
    }
    assert.match(text(await call('dns_rebound')), /evil\.test/);
    assert.equal(api.requests.length - before, 2, 'only the two redirecting requests reached the upstream');
    const named = await call('dns_named');
    assert.equal(text(named), 'hello there', 'a name resolving to an allowed address works');
  });

  it('hides a scoped HTTP tool from a key without the scope, and lets one with it call', async () => {
    const store = { client: cluster.dynamodb, tableName: cluster.tableName };
    const reader = await connectClient(cluster.url, (await createApiKey(store, { agentId: 'reader', scopes: [] })).key);
    const writer = await connectClient(
      cluster.url,
      (await createApiKey(store, { agentId: 'ticket-writer', scopes: ['tickets:write'] })).key,
    );
    try {
      assert.ok(!(await reader.client.listTools()).tools.some((tool) => tool.name === 'create_ticket'));
      await assert.rejects(call('create_ticket', { project: 'x', title: 'y' }, reader.client), (error: McpError) =>
        /Unknown tool/.test(error.message),
      );
      const result = await call('create_ticket', { project: 'x', title: 'y' }, writer.client);
      assert.equal(result.isError, undefined);
      const records = await awaitAuditRecords(cluster, { agentId: 'ticket-writer', since }, 1);
      assert.equal(records[0]?.tool, 'create_ticket');
      assert.equal(records[0]?.outcome, 'success');
      assert.equal(records[0]?.toolVersion, 1);
      const denied = await awaitAuditRecords(cluster, { agentId: 'reader', since }, 1);
      assert.equal(denied[0]?.outcome, 'denied');
    } finally {
      await reader.client.close();
      await writer.client.close();
    }
  });

  it('records HTTP tool calls in the audit trail with their error codes, and no secret anywhere', async () => {
    const records = await awaitAuditRecords(cluster, { agentId: 'local-dev', since }, 20);
    const byTool = (tool: string) => records.filter((record) => record.tool === tool);
    assert.ok(byTool('forecast_http').some((record) => record.outcome === 'success'));
    assert.ok(byTool('forecast_http').some((record) => record.outcome === 'invalid_arguments'));
    assert.ok(byTool('metadata_direct').some((record) => record.errorCode === 'OUTBOUND_FORBIDDEN'));
    assert.ok(byTool('slow_upstream').some((record) => record.outcome === 'timeout'));
    const everything = [JSON.stringify(records), dev.bodies.join('\n'), cluster.logs.join('\n')].join('\n');
    for (const value of Object.values(SECRETS)) assert.ok(!everything.includes(value), 'a secret value leaked');
    const basic = Buffer.from(`robot:${SECRETS.password}`).toString('base64');
    assert.ok(!everything.includes(basic));
  });

  it('serves a tool added at runtime on both workers within one TTL, and drops it when removed', async () => {
    const listOnEachWorker = async () => {
      const seen = new Map<string, string[]>();
      for (let i = 0; i < 6 && seen.size < 2; i++) {
        const response = await post(
          cluster.url,
          { jsonrpc: '2.0', id: i, method: 'tools/list' },
          { authorization: `Bearer ${cluster.apiKey}` },
        );
        const body = (await response.json()) as { result: { tools: { name: string }[] } };
        seen.set(
          response.headers.get('x-mcp-cluster-worker') ?? '?',
          body.result.tools.map((t) => t.name),
        );
      }
      return seen;
    };
    for (const names of (await listOnEachWorker()).values()) assert.ok(!names.includes('say_hello'));
    await putManifest('say_hello', {
      inputSchema: { type: 'object', properties: {} },
      request: { method: 'GET', url: `${api.url}/hello` },
    });
    await sleep(TTL_MS + 150);
    const listed = await listOnEachWorker();
    assert.equal(listed.size, 2);
    for (const names of listed.values()) assert.ok(names.includes('say_hello'));
    const workers = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const calls = dev.workers.length;
      assert.equal(text(await call('say_hello')), 'hello there');
      for (const worker of dev.workers.slice(calls)) workers.add(worker);
    }
    assert.equal(workers.size, 2, 'both workers answered calls of the new tool');

    await cluster.dynamodb.send(
      new DeleteItemCommand({ TableName: cluster.tableName, Key: marshall({ PK: 'TOOL', SK: 'say_hello' }) }),
    );
    await sleep(TTL_MS + 150);
    for (const names of (await listOnEachWorker()).values()) assert.ok(!names.includes('say_hello'));
    await assert.rejects(call('say_hello'), (error: McpError) => /Unknown tool/.test(error.message));
  });
});
