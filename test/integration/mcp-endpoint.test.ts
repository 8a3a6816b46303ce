import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { z } from 'zod';
import type { AuditRecord, CallOutcome } from '../../shared/audit/audit.js';
import { createApiKey, createApiKeyVerifier } from '../../shared/auth/api-keys.js';
import { createAuthenticator } from '../../shared/auth/authenticate.js';
import { loadConfig } from '../../shared/config/config.js';
import { ToolError } from '../../shared/errors/errors.js';
import { createMcpApp } from '../../shared/mcp/app.js';
import { createMcpEndpoint, type McpEndpoint } from '../../shared/mcp/endpoint.js';
import { createManifestStore } from '../../shared/registry/manifest-store.js';
import { createRegistry } from '../../shared/registry/registry.js';
import { createSecretStore } from '../../shared/secrets/secret-store.js';
import { defineTool } from '../../shared/tools/define-tool.js';
import {
  type CapturedLogs,
  captureLogs,
  closedPortUrl,
  dynamoDbClient,
  type LocalAws,
  silentLogger,
  startLocalAws,
} from '../helpers/aws.js';
import { collectingAuditSink, type PostMcpOptions, postMcp } from '../helpers/endpoint.js';

const PREFIX = 'mcp-test/';
const LEAKY_SECRET = 'leaky-SECRET-9f8e7d6c5b';
const QUOTED_SECRET = 'quoted"SECRET\\4a3b2c1d';
const MAX_BODY_BYTES = 4_096;

// Tools defined here, for behaviours the real tool folders do not have.
const echo = defineTool({
  name: 'echo',
  description: 'Repeats the text it is given.',
  input: z.object({ text: z.string().describe('What to repeat.'), times: z.number().int().min(1).default(1) }),
  run: async ({ text, times }) => Array.from({ length: times }, () => text).join(' '),
});

const explode = defineTool({
  name: 'explode',
  description: 'Always fails with an unexpected error that quotes its credential.',
  input: z.object({}),
  secrets: { token: 'leaky' },
  run: async (_args, ctx) => {
    throw new Error(`upstream rejected token ${ctx.secrets.token}`);
  },
});

const leakSecret = defineTool({
  name: 'leak_secret',
  description: 'Carelessly returns its credential.',
  input: z.object({}),
  secrets: { token: 'leaky' },
  run: async (_args, ctx) => `the token is ${ctx.secrets.token}`,
});

const waitForAbort = defineTool({
  name: 'wait_for_abort',
  description: 'Never finishes on its own, but stops when its signal is aborted.',
  input: z.object({}),
  timeoutMs: 80,
  run: (_args, ctx) =>
    new Promise<string>((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
    }),
});

const hang = defineTool({
  name: 'hang',
  description: 'Never finishes and ignores its signal.',
  input: z.object({}),
  timeoutMs: 50,
  run: () => new Promise<string>(() => {}),
});

const quota = defineTool({
  name: 'quota',
  description: 'Fails the way a tool should: with a ToolError.',
  input: z.object({}),
  run: async () => {
    throw new ToolError('QUOTA_EXCEEDED', 'The daily quota is used up; try again tomorrow.', { retryable: true });
  },
});

const adminOnly = defineTool({
  name: 'admin_only',
  description: 'Only for administrators.',
  input: z.object({ accountId: z.string() }),
  scopes: ['admin'],
  run: async () => 'done',
});

const slow = defineTool({
  name: 'slow',
  description: 'Takes five seconds unless its signal is aborted first; sets no timeout of its own.',
  input: z.object({}),
  run: (_args, ctx) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => resolve('finished'), 5_000);
      ctx.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(ctx.signal.reason);
        },
        { once: true },
      );
    }),
});

const needsMissingSecret = defineTool({
  name: 'needs_missing_secret',
  description: 'Declares a credential nobody has created.',
  input: z.object({}),
  secrets: { database: 'not-created' },
  run: async () => 'unreachable',
});

const leakQuoted = defineTool({
  name: 'leak_quoted',
  description: 'Carelessly returns a credential that contains a quote and a backslash.',
  input: z.object({}),
  secrets: { token: 'quoted' },
  run: async (_args, ctx) => `the token is ${ctx.secrets.token}`,
});

const codeTools = [
  echo,
  explode,
  leakSecret,
  waitForAbort,
  hang,
  quota,
  adminOnly,
  slow,
  needsMissingSecret,
  leakQuoted,
];

type RpcBody = {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
};

interface PostOptions extends PostMcpOptions {
  /** `null`: no Authorization header at all. */
  key?: string | null;
}

/** A POST to /mcp with `options.key` as the bearer token, or without one. */
function send(endpoint: McpEndpoint, body: unknown, options: PostOptions & { key: string | null }) {
  const { key, headers, ...rest } = options;
  return postMcp(endpoint, key ?? '', body, {
    ...rest,
    headers: { ...(key ? {} : { authorization: undefined }), ...headers },
  });
}

describe('MCP endpoint (in process, dynalite + local Secrets Manager)', () => {
  let aws: LocalAws;
  let endpoint: McpEndpoint;
  let audit: ReturnType<typeof collectingAuditSink>;
  let logs: CapturedLogs;
  let basicKey: string;
  let adminKey: string;
  let tableName: string;

  before(async () => {
    aws = await startLocalAws();
    tableName = await aws.createTable();
    await aws.putSecret(`${PREFIX}leaky`, LEAKY_SECRET);
    await aws.putSecret(`${PREFIX}quoted`, QUOTED_SECRET);
    basicKey = (await createApiKey({ client: aws.dynamodb, tableName }, { agentId: 'basic-agent', scopes: ['basic'] }))
      .key;
    adminKey = (await createApiKey({ client: aws.dynamodb, tableName }, { agentId: 'admin-agent', scopes: ['admin'] }))
      .key;
    audit = collectingAuditSink();
    logs = captureLogs({ level: 'debug' });
    endpoint = createMcpApp({
      config: loadConfig({
        REGISTRY_TABLE_NAME: tableName,
        SECRETS_PREFIX: PREFIX,
        MAX_BODY_BYTES: String(MAX_BODY_BYTES),
        SERVER_NAME: 'mcp-test',
      }),
      dynamodb: aws.dynamodb,
      secretsManager: aws.secretsManager,
      codeTools,
      logger: logs.logger,
      audit,
    });
  });
  after(() => aws.stop());
  beforeEach(() => {
    audit.records.length = 0;
  });

  const post = (body: unknown, options: PostOptions = {}) =>
    send(endpoint, body, { ...options, key: options.key === undefined ? basicKey : options.key });

  async function rpc(method: string, params?: Record<string, unknown>, options: PostOptions = {}): Promise<RpcBody> {
    const response = await post({ jsonrpc: '2.0', id: 1, method, ...(params ? { params } : {}) }, options);
    assert.equal(response.statusCode, 200, response.body);
    return JSON.parse(response.body) as RpcBody;
  }

  const callTool = (name: string, args: Record<string, unknown> = {}, options: PostOptions = {}) =>
    rpc('tools/call', { name, arguments: args }, options);

  type ToolResult = {
    isError?: boolean;
    content: { type: string; text: string }[];
    structuredContent?: {
      error?: { code: string; message: string; retryable: boolean; issues?: { field: string; message: string }[] };
    };
  };
  const resultOf = (body: RpcBody) => body.result as unknown as ToolResult;

  function onlyAuditRecord(): AuditRecord {
    assert.equal(audit.records.length, 1, `expected one audit record, got ${audit.records.length}`);
    return audit.records[0]!;
  }

  describe('rejections before any I/O', () => {
    for (const method of ['GET', 'DELETE']) {
      it(`answers ${method} with 405 and Allow: POST`, async () => {
        const response = await endpoint({
          method,
          path: '/mcp',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: '',
          requestId: randomUUID(),
          remainingMs: () => 30_000,
        });
        assert.equal(response.statusCode, 405);
        assert.equal(response.headers['allow'], 'POST');
        assert.equal((JSON.parse(response.body) as RpcBody).error?.code, -32600);
      });
    }

    it('answers 413 for a body over MAX_BODY_BYTES', async () => {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'ping',
        params: { pad: 'x'.repeat(MAX_BODY_BYTES) },
      });
      const response = await post(body, { key: null });
      assert.equal(response.statusCode, 413);
    });

    it('refuses a browser origin it was not told to allow with 403, before authentication', async () => {
      const response = await post(
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { key: null, headers: { origin: 'https://evil.example' } },
      );
      assert.equal(response.statusCode, 403);
      assert.match(response.body, /origin https:\/\/evil\.example/);
    });

    it('pages tools/list with nextCursor when TOOLS_PAGE_SIZE is small, and refuses a foreign cursor with -32602', async () => {
      const paged = createMcpApp({
        config: loadConfig({ REGISTRY_TABLE_NAME: tableName, SECRETS_PREFIX: PREFIX, TOOLS_PAGE_SIZE: '2' }),
        dynamodb: aws.dynamodb,
        secretsManager: aws.secretsManager,
        codeTools,
        logger: silentLogger,
        audit,
      });
      const names: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 20; i++) {
        const response = await send(
          paged,
          { jsonrpc: '2.0', id: i, method: 'tools/list', ...(cursor ? { params: { cursor } } : {}) },
          { key: adminKey },
        );
        const body = JSON.parse(response.body) as { result: { tools: { name: string }[]; nextCursor?: string } };
        assert.ok(body.result.tools.length <= 2);
        names.push(...body.result.tools.map((t) => t.name));
        cursor = body.result.nextCursor;
        if (!cursor) break;
      }
      const whole = JSON.parse(
        (await send(endpoint, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { key: adminKey })).body,
      ) as { result: { tools: { name: string }[] } };
      assert.deepEqual(
        names,
        whole.result.tools.map((t) => t.name),
      );
      const foreign = await send(
        paged,
        { jsonrpc: '2.0', id: 9, method: 'tools/list', params: { cursor: 'abc' } },
        {
          key: adminKey,
        },
      );
      assert.equal((JSON.parse(foreign.body) as RpcBody).error?.code, -32602);
    });

    it('serves a browser origin listed in ALLOWED_ORIGINS', async () => {
      const withOrigins = createMcpApp({
        config: loadConfig({
          REGISTRY_TABLE_NAME: tableName,
          SECRETS_PREFIX: PREFIX,
          ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:6274/',
        }),
        dynamodb: aws.dynamodb,
        secretsManager: aws.secretsManager,
        codeTools,
        logger: silentLogger,
        audit,
      });
      const allowed = await send(
        withOrigins,
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        {
          key: basicKey,
          headers: { origin: 'http://localhost:6274' },
        },
      );
      assert.equal(allowed.statusCode, 200);
      const other = await send(
        withOrigins,
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        {
          key: basicKey,
          headers: { origin: 'http://localhost:9999' },
        },
      );
      assert.equal(other.statusCode, 403);
    });

    it('answers 415 for a body that is not JSON by its content type', async () => {
      const response = await post(
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { headers: { 'content-type': 'text/plain' } },
      );
      assert.equal(response.statusCode, 415);
    });

    it('accepts a JSON content type with parameters', async () => {
      const response = await post(
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { headers: { 'content-type': 'Application/JSON; charset=utf-8' } },
      );
      assert.equal(response.statusCode, 200);
    });

    it('answers 406 when Accept is missing or excludes JSON', async () => {
      const missing = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { headers: { accept: undefined } });
      assert.equal(missing.statusCode, 406);
      const sseOnly = await post(
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { headers: { accept: 'text/event-stream' } },
      );
      assert.equal(sseOnly.statusCode, 406);
    });

    it('answers 400 for an unsupported MCP-Protocol-Version', async () => {
      const response = await post(
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { headers: { 'mcp-protocol-version': '1999-01-01' } },
      );
      assert.equal(response.statusCode, 400);
      assert.match(response.body, /1999-01-01/);
    });

    it('answers -32700 for malformed JSON, before asking for credentials', async () => {
      const response = await post('{"jsonrpc":"2.0",', { key: null });
      assert.equal(response.statusCode, 400);
      const body = JSON.parse(response.body) as RpcBody;
      assert.equal(body.error?.code, -32700);
      assert.ok(!('id' in body), 'no id could be read, so none is sent');
    });

    it('answers -32600 for a message that is not a valid JSON-RPC request, keeping its id', async () => {
      const response = await post({ jsonrpc: '1.0', id: 9, method: 'ping' });
      assert.equal(response.statusCode, 400);
      const body = JSON.parse(response.body) as RpcBody;
      assert.equal(body.error?.code, -32600);
      assert.equal(body.id, 9);
    });
  });

  describe('authentication', () => {
    it('answers 401 with a Bearer challenge when no credential is sent', async () => {
      const response = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { key: null });
      assert.equal(response.statusCode, 401);
      assert.match(response.headers['www-authenticate'] ?? '', /^Bearer\b/);
      assert.equal((JSON.parse(response.body) as RpcBody).error?.code, -32600);
    });

    it('points the 401 challenge at the protected-resource metadata (RFC 9728) when OAuth is configured', async () => {
      const withBaseUrl = createMcpApp({
        config: loadConfig({
          REGISTRY_TABLE_NAME: tableName,
          SECRETS_PREFIX: PREFIX,
          PUBLIC_BASE_URL: 'https://mcp.example.com',
          OAUTH_ISSUER: 'https://login.example.com',
        }),
        dynamodb: aws.dynamodb,
        secretsManager: aws.secretsManager,
        codeTools,
        logger: silentLogger,
        audit,
      });
      const response = await send(withBaseUrl, { jsonrpc: '2.0', id: 1, method: 'ping' }, { key: null });
      assert.equal(response.statusCode, 401);
      assert.match(
        response.headers['www-authenticate'] ?? '',
        /^Bearer .*resource_metadata="https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource/,
      );
    });

    it('answers 403 with the reason, and no challenge, for a key that was never issued when only API keys are accepted', async () => {
      const response = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { key: `mcpk_${'Z'.repeat(43)}` });
      assert.equal(response.statusCode, 403);
      assert.equal(response.headers['www-authenticate'], undefined);
      const body = JSON.parse(response.body) as RpcBody;
      assert.equal(body.id, 1);
      assert.equal(body.error?.message, 'The API key is invalid, expired or revoked.');
    });
  });

  describe('protocol', () => {
    it('negotiates protocol 2025-11-25 in initialize', async () => {
      const body = await rpc('initialize', {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'test-client', version: '1.0.0' },
      });
      assert.equal(body.result?.protocolVersion, '2025-11-25');
      assert.deepEqual((body.result?.serverInfo as { name?: string } | undefined)?.name, 'mcp-test');
      assert.ok((body.result?.capabilities as { tools?: unknown } | undefined)?.tools);
    });

    it('negotiates an older protocol (2025-03-26) when the client asks for it', async () => {
      const body = await rpc(
        'initialize',
        { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'old-client', version: '0.1.0' } },
        { headers: { 'mcp-protocol-version': '2025-03-26' } },
      );
      assert.equal(body.result?.protocolVersion, '2025-03-26');
    });

    it('answers ping, and -32601 for a method it does not know', async () => {
      assert.deepEqual((await rpc('ping')).result, {});
      assert.equal((await rpc('resources/list')).error?.code, -32601);
    });

    it('answers 202 with no body to notifications only', async () => {
      const response = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
      assert.equal(response.statusCode, 202);
      assert.equal(response.body, '');
    });

    it('answers a batch of two requests with an array of two responses', async () => {
      const response = await post([
        { jsonrpc: '2.0', id: 'a', method: 'ping' },
        { jsonrpc: '2.0', id: 'b', method: 'tools/list' },
      ]);
      assert.equal(response.statusCode, 200);
      const bodies = JSON.parse(response.body) as RpcBody[];
      assert.ok(Array.isArray(bodies));
      assert.deepEqual(
        bodies.map((b) => b.id),
        ['a', 'b'],
      );
      assert.deepEqual(bodies[0]?.result, {});
      assert.ok(Array.isArray(bodies[1]?.result?.tools));
    });

    it('refuses a batch whose request ids repeat', async () => {
      const response = await post([
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { jsonrpc: '2.0', id: 1, method: 'ping' },
      ]);
      assert.equal(response.statusCode, 400);
    });
  });

  describe('tools/list', () => {
    const toolNames = (body: RpcBody) =>
      ((body.result?.tools ?? []) as { name: string }[]).map((tool) => tool.name).sort();

    it('lists only the tools the caller may call', async () => {
      const basic = toolNames(await rpc('tools/list'));
      assert.deepEqual(
        basic,
        codeTools
          .map((tool) => tool.name)
          .filter((name) => name !== 'admin_only')
          .sort(),
      );
      const admin = toolNames(await rpc('tools/list', undefined, { key: adminKey }));
      assert.ok(admin.includes('admin_only'));
    });

    it("advertises each tool's JSON Schema", async () => {
      const tools = (await rpc('tools/list')).result?.tools as { name: string; inputSchema: Record<string, unknown> }[];
      const schema = tools.find((tool) => tool.name === 'echo')?.inputSchema;
      assert.equal(schema?.type, 'object');
      assert.deepEqual(schema?.required, ['text']);
    });
  });

  describe('tools/call', () => {
    it('runs a tool and returns its text, with one success audit record', async () => {
      const body = await callTool('echo', { text: 'hello', times: 2 }, { requestId: 'req-echo' });
      assert.deepEqual(resultOf(body), { content: [{ type: 'text', text: 'hello hello' }] });
      const record = onlyAuditRecord();
      assert.equal(record.outcome, 'success');
      assert.equal(record.tool, 'echo');
      assert.equal(record.agentId, 'basic-agent');
      assert.equal(record.requestId, 'req-echo');
      assert.equal(record.toolVersion, 0);
    });

    it('keeps argument values out of the audit record', async () => {
      await callTool('echo', { text: 'alice@example.com private words' });
      const record = onlyAuditRecord();
      assert.match(record.argumentsDigest, /^sha256:[0-9a-f]{64}$/);
      assert.doesNotMatch(JSON.stringify(record), /alice@example\.com|private words/);
    });

    it('answers -32602 for an unknown tool, audited as unknown_tool', async () => {
      const body = await callTool('no_such_tool');
      assert.equal(body.error?.code, -32602);
      assert.match(body.error?.message ?? '', /Unknown tool/);
      assert.equal(onlyAuditRecord().outcome, 'unknown_tool');
    });

    it('answers a tool the caller may not call exactly like an unknown one, audited as denied', async () => {
      const denied = await callTool('admin_only', { accountId: 'acc-1' });
      const unknown = await callTool('nope_tool');
      assert.equal(denied.error?.code, -32602);
      assert.equal(denied.error?.message.replace('admin_only', 'X'), unknown.error?.message.replace('nope_tool', 'X'));
      assert.deepEqual(
        audit.records.map((r) => r.outcome),
        ['denied', 'unknown_tool'] satisfies CallOutcome[],
      );
    });

    it('lets a caller with the scope call the tool', async () => {
      const body = await callTool('admin_only', { accountId: 'acc-1' }, { key: adminKey });
      assert.equal(resultOf(body).content[0]?.text, 'done');
    });

    it('answers bad arguments with an isError result naming each field, for the model to correct, audited as invalid_arguments', async () => {
      const body = await callTool('echo', { times: 0 });
      const result = resultOf(body);
      assert.equal(result.isError, true);
      assert.match(
        result.content[0]?.text ?? '',
        /^Invalid arguments for tool "echo": text: .+; times: .+ \(INVALID_ARGUMENTS\)$/,
      );
      const error = result.structuredContent?.error;
      assert.equal(error?.code, 'INVALID_ARGUMENTS');
      assert.deepEqual(
        error?.issues?.map((issue) => issue.field),
        ['text', 'times'],
      );
      assert.equal(onlyAuditRecord().outcome, 'invalid_arguments');
    });

    it('answers -32602 when params has no tool name', async () => {
      const body = await rpc('tools/call', { arguments: {} });
      assert.equal(body.error?.code, -32602);
    });

    it('turns an unexpected error into isError TOOL_FAILED, without stack or secret in the body or the logs', async () => {
      const response = await post(
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'explode', arguments: {} } },
        { requestId: 'req-explode' },
      );
      assert.equal(response.statusCode, 200);
      const result = resultOf(JSON.parse(response.body) as RpcBody);
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent?.error?.code, 'TOOL_FAILED');
      assert.equal(result.structuredContent?.error?.retryable, false);
      assert.match(result.content[0]?.text ?? '', /req-explode/);
      assert.doesNotMatch(response.body, new RegExp(LEAKY_SECRET));
      assert.doesNotMatch(response.body, /upstream rejected|\bat .*\.ts:\d+|mcp-test\//);
      const record = onlyAuditRecord();
      assert.equal(record.outcome, 'tool_error');
      assert.equal(record.errorCode, 'TOOL_FAILED');
      const logged = logs.lines.filter((line) => line.includes('req-explode'));
      assert.ok(
        logged.some((line) => line.includes('tool failed')),
        'the failure is logged',
      );
      for (const line of logs.lines) assert.ok(!line.includes(LEAKY_SECRET), 'a log line holds the secret');
    });

    it('replaces a secret value a tool returns with [REDACTED]', async () => {
      const response = await post({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'leak_secret', arguments: {} },
      });
      assert.ok(!response.body.includes(LEAKY_SECRET));
      assert.equal(resultOf(JSON.parse(response.body) as RpcBody).content[0]?.text, 'the token is [REDACTED]');
      assert.equal(onlyAuditRecord().outcome, 'success');
    });

    it('passes a ToolError code and retryability through', async () => {
      const result = resultOf(await callTool('quota'));
      assert.equal(result.isError, true);
      assert.deepEqual(result.structuredContent?.error, {
        code: 'QUOTA_EXCEEDED',
        message: 'The daily quota is used up; try again tomorrow.',
        retryable: true,
      });
      assert.equal(onlyAuditRecord().errorCode, 'QUOTA_EXCEEDED');
    });

    it('answers isError TIMEOUT soon after the deadline of a tool that ignores its signal', async () => {
      const started = performance.now();
      const result = resultOf(await callTool('hang'));
      const elapsed = performance.now() - started;
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent?.error?.code, 'TIMEOUT');
      assert.equal(result.structuredContent?.error?.retryable, true);
      assert.ok(elapsed < 1_000, `took ${Math.round(elapsed)} ms`);
      assert.equal(onlyAuditRecord().outcome, 'timeout');
    });

    it('aborts the signal of a tool at its deadline and answers TIMEOUT', async () => {
      const result = resultOf(await callTool('wait_for_abort'));
      assert.equal(result.structuredContent?.error?.code, 'TIMEOUT');
      assert.match(result.content[0]?.text ?? '', /80 ms/);
      assert.equal(onlyAuditRecord().outcome, 'timeout');
    });

    it("caps a tool's deadline by the time the function has left, minus the margin", async () => {
      // DEADLINE_MARGIN_MS defaults to 1000: with 1150 ms left, the tool gets 150 ms instead of TOOL_TIMEOUT_MS.
      const started = performance.now();
      const result = resultOf(await callTool('slow', {}, { remainingMs: 1_150 }));
      assert.equal(result.structuredContent?.error?.code, 'TIMEOUT');
      assert.match(result.content[0]?.text ?? '', /150 ms/);
      assert.ok(performance.now() - started < 1_000);
    });

    it('answers isError SECRET_UNAVAILABLE naming the binding when a declared secret does not exist', async () => {
      const response = await post({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'needs_missing_secret', arguments: {} },
      });
      const result = resultOf(JSON.parse(response.body) as RpcBody);
      assert.equal(result.isError, true);
      assert.equal(result.structuredContent?.error?.code, 'SECRET_UNAVAILABLE');
      assert.equal(result.structuredContent?.error?.retryable, true);
      assert.match(result.content[0]?.text ?? '', /"database"/);
      assert.doesNotMatch(response.body, /mcp-test\/|not-created|arn:/);
      assert.equal(onlyAuditRecord().outcome, 'tool_error');
    });

    it('redacts a returned secret that contains a quote or a backslash', async () => {
      const response = await post({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'leak_quoted', arguments: {} },
      });
      const text = resultOf(JSON.parse(response.body) as RpcBody).content[0]?.text ?? '';
      assert.ok(!text.includes('4a3b2c1d'), `secret leaked: ${text}`);
    });

    it('writes exactly one audit record for each tools/call of a batch', async () => {
      const response = await post([
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'quota', arguments: {} } },
        { jsonrpc: '2.0', id: 3, method: 'tools/list' },
      ]);
      assert.equal(response.statusCode, 200);
      assert.deepEqual(
        audit.records.map((r) => [r.tool, r.outcome]),
        [
          ['echo', 'success'],
          ['quota', 'tool_error'],
        ],
      );
    });
  });

  describe('when a dependency is down', () => {
    it('answers 503 with Retry-After and a JSON-RPC error when the registry is unavailable and nothing is cached', async () => {
      const unreachable = dynamoDbClient(await closedPortUrl(), { failFast: true });
      try {
        const broken = createMcpEndpoint({
          serverName: 'mcp-test',
          serverVersion: '0.0.0',
          maxBodyBytes: MAX_BODY_BYTES,
          defaultToolTimeoutMs: 1_000,
          deadlineMarginMs: 0,
          authenticator: createAuthenticator({
            apiKeys: createApiKeyVerifier({ client: aws.dynamodb, tableName, ttlMs: 1_000, logger: silentLogger }),
          }),
          registry: createRegistry({
            store: createManifestStore({ client: unreachable, tableName, logger: silentLogger }),
            codeTools,
            ttlMs: 1_000,
            logger: silentLogger,
          }),
          secrets: createSecretStore({
            client: aws.secretsManager,
            prefix: PREFIX,
            ttlMs: 1_000,
            logger: silentLogger,
          }),
          audit,
          logger: silentLogger,
        });
        const response = await send(
          broken,
          { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } },
          { key: basicKey },
        );
        assert.equal(response.statusCode, 503);
        assert.ok(Number(response.headers['retry-after']) > 0);
        const body = JSON.parse(response.body) as RpcBody;
        assert.equal(body.jsonrpc, '2.0');
        assert.equal(body.error?.code, -32603);
        assert.deepEqual(body.error?.data, {
          retryable: true,
          retryAfterSeconds: Number(response.headers['retry-after']),
        });
        assert.doesNotMatch(response.body, new RegExp(tableName));
        assert.equal(audit.records.length, 0, 'nothing was dispatched');

        const ping = await send(broken, { jsonrpc: '2.0', id: 1, method: 'ping' }, { key: basicKey });
        assert.equal(ping.statusCode, 200, 'requests that need no registry still work');
      } finally {
        unreachable.destroy();
      }
    });

    it('answers 503 with Retry-After, not 401, when keys cannot be checked', async () => {
      const unreachable = dynamoDbClient(await closedPortUrl(), { failFast: true });
      try {
        const broken = createMcpApp({
          config: loadConfig({ REGISTRY_TABLE_NAME: tableName, SECRETS_PREFIX: PREFIX }),
          dynamodb: unreachable,
          secretsManager: aws.secretsManager,
          codeTools,
          logger: silentLogger,
          audit,
        });
        const response = await send(broken, { jsonrpc: '2.0', id: 1, method: 'ping' }, { key: basicKey });
        assert.equal(response.statusCode, 503);
        assert.ok(response.headers['retry-after']);
      } finally {
        unreachable.destroy();
      }
    });
  });
});
