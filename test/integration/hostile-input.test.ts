import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { z } from 'zod';
import type { AuditRecord } from '../../shared/audit/audit.js';
import { createApiKey, createApiKeyVerifier } from '../../shared/auth/api-keys.js';
import { createAuthenticator } from '../../shared/auth/authenticate.js';
import { loadConfig } from '../../shared/config/config.js';
import { createMcpApp } from '../../shared/mcp/app.js';
import { createMcpEndpoint, type McpEndpoint } from '../../shared/mcp/endpoint.js';
import type { HttpResponse } from '../../shared/mcp/http-types.js';
import { encodedBytes, TRUNCATED_META_KEY } from '../../shared/mcp/response-size.js';
import type { Registry } from '../../shared/registry/registry.js';
import { createSecretStore } from '../../shared/secrets/secret-store.js';
import { defineTool } from '../../shared/tools/define-tool.js';
import { type LocalAws, silentLogger, startLocalAws } from '../helpers/aws.js';
import { collectingAuditSink, postMcp } from '../helpers/endpoint.js';

const MAX_RESULT_BYTES = 1_000_000;
let runs = 0;

const big = defineTool({
  name: 'big',
  description: 'Returns as many characters as asked for, half of them ones JSON must escape.',
  input: z.object({ chars: z.number().int() }),
  run: async ({ chars }) => {
    runs++;
    return [
      { type: 'text' as const, text: 'a"\n'.repeat(Math.ceil(chars / 3)).slice(0, chars) },
      { type: 'image' as const, data: 'iVBORw0KGgo=', mimeType: 'image/png' },
    ];
  },
});

const bigStructured = defineTool({
  name: 'big_structured',
  description: 'Returns a structured result as large as asked for.',
  input: z.object({ chars: z.number().int() }),
  output: z.object({ blob: z.string() }),
  run: async ({ chars }) => ({ blob: 'x'.repeat(chars) }),
});

const destructive = defineTool({
  name: 'destructive',
  description: 'Counts its runs.',
  input: z.object({ target: z.string() }),
  annotations: { destructiveHint: true },
  run: async () => {
    runs++;
    return 'done';
  },
});

type Body = { id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string } };

describe('hostile input, in process', () => {
  let aws: LocalAws;
  let endpoint: McpEndpoint;
  let key: string;
  let tableName: string;
  const audit = collectingAuditSink();
  const { records } = audit;

  before(async () => {
    aws = await startLocalAws();
    tableName = await aws.createTable();
    key = (await createApiKey({ client: aws.dynamodb, tableName }, { agentId: 'hostile', scopes: ['*'] })).key;
    endpoint = createMcpApp({
      config: loadConfig({ REGISTRY_TABLE_NAME: tableName, MAX_RESULT_BYTES: String(MAX_RESULT_BYTES) }),
      dynamodb: aws.dynamodb,
      secretsManager: aws.secretsManager,
      codeTools: [big, bigStructured, destructive],
      logger: silentLogger,
      audit,
    });
  });
  after(() => aws.stop());
  beforeEach(() => {
    records.length = 0;
    runs = 0;
  });

  const send = (body: string, remainingMs = 30_000, to: McpEndpoint = endpoint): Promise<HttpResponse> =>
    postMcp(to, key, body, { remainingMs });
  const call = async (name: string, args: unknown) =>
    JSON.parse(
      (await send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } })))
        .body,
    ) as Body;

  it('answers at once messages that pair odd members, and ids no JSON number carries exactly', async () => {
    const answers = await Promise.all(
      [
        '{"jsonrpc":"2.0","id":1,"method":"ping","extra":1}',
        '{"jsonrpc":"2.0","id":2,"method":"ping","result":{}}',
        '{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}',
        '{"jsonrpc":"2.0","id":1e400,"method":"ping"}',
        `{"jsonrpc":"2.0","id":"${'i'.repeat(10_000)}","method":"ping"}`,
        '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"\\ud800","arguments":{}}}',
      ].map((body) => send(body)),
    );
    assert.deepEqual(
      answers.map((answer) => [answer.statusCode, (JSON.parse(answer.body) as Body).error?.code ?? 'result']),
      [
        [200, 'result'],
        [400, -32600],
        [400, -32600],
        [400, -32600],
        [400, -32600],
        [200, -32602],
      ],
    );
  });

  it('refuses arguments nested 10,000 deep with -32602 before any tool runs', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const response = await send(
      `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"destructive","arguments":{"target":"u-1","x":${deep}}}}`,
    );
    assert.equal(response.statusCode, 400);
    const body = JSON.parse(response.body) as Body;
    assert.deepEqual([body.id, body.error?.code], [7, -32602]);
    assert.equal(runs, 0, 'the tool did not run');
  });

  it('cuts a result that would outgrow the response, says so, and audits the size it had', async () => {
    const body = await call('big', { chars: 3_000_000 });
    const result = body.result as { content: { type: string; text: string }[]; _meta: Record<string, unknown> };
    assert.equal(result.content.length, 1, 'one text block is left; the image cannot be cut');
    assert.match(
      result.content[0]!.text,
      /\[Cut: the whole result was \d+\.\d MB, over the 1\.0 MB a response may carry; 1 non-text block\(s\) left out/,
    );
    const cut = result._meta[TRUNCATED_META_KEY] as { encodedBytes: number; limitBytes: number };
    assert.ok(cut.encodedBytes > MAX_RESULT_BYTES);
    assert.ok(encodedBytes(JSON.stringify(body)) <= MAX_RESULT_BYTES, 'the whole answer fits');
    assert.equal(records[0]?.outcome, 'success');
    assert.equal(records[0]?.resultCutFromBytes, cut.encodedBytes);
  });

  it('refuses rather than cuts a structured result the tool promised in full', async () => {
    const body = await call('big_structured', { chars: 2_000_000 });
    assert.equal(body.result?.isError, true);
    assert.match(JSON.stringify(body.result), /RESULT_TOO_LARGE/);
    assert.equal(records[0]?.errorCode, 'RESULT_TOO_LARGE');
    const small = await call('big_structured', { chars: 10 });
    assert.deepEqual(small.result?.structuredContent, { blob: 'xxxxxxxxxx' });
  });

  it('keeps a batch response within the limit, answering the calls past it with an error', async () => {
    const batch = [1, 2, 3].map((id) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'big', arguments: { chars: 200_000 } },
    }));
    const response = await postMcp(endpoint, key, batch, {
      headers: { accept: 'application/json', 'mcp-protocol-version': '2025-03-26' },
    });
    const answers = JSON.parse(response.body) as Body[];
    assert.ok(encodedBytes(response.body) <= MAX_RESULT_BYTES);
    assert.deepEqual(
      answers.map((answer) => [answer.id, answer.error?.code ?? 'result']),
      [
        [1, 'result'],
        [2, -32603],
        [3, -32603],
      ],
    );
    assert.equal(records.length, 3, 'every call ran and was audited');
  });

  it('leaves a start marker before a tool runs, sharing the key its end record replaces', async () => {
    const everything: AuditRecord[] = [];
    const raw = createMcpApp({
      config: loadConfig({ REGISTRY_TABLE_NAME: tableName }),
      dynamodb: aws.dynamodb,
      secretsManager: aws.secretsManager,
      codeTools: [destructive],
      logger: silentLogger,
      audit: {
        async record(record) {
          everything.push(record);
        },
      },
    });
    const body = (name: string, args: unknown) =>
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });
    await send(body('destructive', { target: 'u-1' }), 30_000, raw);
    assert.deepEqual(
      everything.map((r) => r.outcome),
      ['started', 'success'],
    );
    assert.equal(everything[0]?.callId, everything[1]?.callId);
    assert.equal(everything[0]?.time, everything[1]?.time);
    everything.length = 0;
    await send(body('destructive', {}), 30_000, raw);
    assert.deepEqual(
      everything.map((r) => r.outcome),
      ['invalid_arguments'],
      'a call refused before its tool runs has its end only',
    );
  });

  it('answers before the function’s deadline whatever a request waits on, echoing its id', async () => {
    const stuck: Registry = { snapshot: () => new Promise(() => {}) } as unknown as Registry;
    const hanging = createMcpEndpoint({
      serverName: 'mcp-test',
      serverVersion: '1',
      maxBodyBytes: 10_000,
      defaultToolTimeoutMs: 10_000,
      deadlineMarginMs: 400,
      authenticator: createAuthenticator({
        apiKeys: createApiKeyVerifier({ client: aws.dynamodb, tableName, ttlMs: 1_000, logger: silentLogger }),
      }),
      registry: stuck,
      secrets: createSecretStore({ client: aws.secretsManager, prefix: 'x/', ttlMs: 1, logger: silentLogger }),
      audit,
      logger: silentLogger,
    });
    const started = Date.now();
    const response = await send('{"jsonrpc":"2.0","id":"late","method":"tools/list"}', 1_000, hanging);
    const elapsed = Date.now() - started;
    assert.equal(response.statusCode, 504);
    const body = JSON.parse(response.body) as Body;
    assert.deepEqual([body.id, body.error?.code], ['late', -32603]);
    assert.ok(elapsed >= 700 && elapsed < 950, `answered after ${elapsed} ms, before the 1,000 ms deadline`);
  });
});
