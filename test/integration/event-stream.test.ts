import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { createApiKey } from '../../shared/auth/api-keys.js';
import { loadConfig } from '../../shared/config/config.js';
import { createMcpApp } from '../../shared/mcp/app.js';
import type { McpEndpoint } from '../../shared/mcp/endpoint.js';
import type { HttpRequest, HttpResponse } from '../../shared/mcp/http-types.js';
import { defineTool } from '../../shared/tools/define-tool.js';
import { captureLogs, type LocalAws, startLocalAws } from '../helpers/aws.js';
import { collectingAuditSink } from '../helpers/endpoint.js';

const PREFIX = 'mcp-stream-test/';
const CANARY = 'canary-SECRET-5e4d3c2b1a';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const steps = defineTool({
  name: 'steps',
  description: 'Reports progress for each step, logs at two levels, then answers.',
  input: z.object({ count: z.number().int().min(1).max(20).default(3) }),
  run: async ({ count }, ctx) => {
    for (let done = 1; done <= count; done++) {
      ctx.progress(done, count, `step ${done}`);
      ctx.progress(done - 0.5, count); // not an increase: dropped
      await pause(5);
    }
    ctx.log('debug', 'debug detail');
    ctx.log('warning', 'something to know', { steps: count });
    return `${count} steps done`;
  },
});

const leaky = defineTool({
  name: 'leaky_progress',
  description: 'Carelessly puts its credential in a progress message and a log message.',
  input: z.object({}),
  secrets: { token: 'canary' },
  run: async (_args, ctx) => {
    ctx.progress(1, 1, `using ${ctx.secrets.token}`);
    ctx.log('error', `token ${ctx.secrets.token} refused`, { token: ctx.secrets.token });
    return 'done';
  },
});

const slowSteps = defineTool({
  name: 'slow_steps',
  description: 'Reports progress, then never finishes.',
  input: z.object({}),
  timeoutMs: 60_000,
  run: async (_args, ctx) => {
    ctx.progress(1);
    await new Promise(() => {});
    return 'never';
  },
});

type Event = {
  jsonrpc: '2.0';
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: a result read field by field in assertions
  result?: any;
};

/** The JSON-RPC messages of an SSE body, in order. */
function eventsOf(body: string): Event[] {
  return body
    .split('\n\n')
    .filter(Boolean)
    .map((event) => {
      const lines = event.split('\n');
      assert.ok(lines.includes('event: message'), event);
      const data = lines.find((line) => line.startsWith('data: '));
      assert.ok(data, event);
      return JSON.parse(data.slice('data: '.length)) as Event;
    });
}

/** A transport that streams, recording when each chunk was written. */
function streamingTransport() {
  const chunks: { at: number; text: string }[] = [];
  let opened: { statusCode: number; headers: Record<string, string> } | undefined;
  let ended = false;
  return {
    chunks,
    get opened() {
      return opened;
    },
    get ended() {
      return ended;
    },
    openStream(statusCode: number, headers: Record<string, string>) {
      opened = { statusCode, headers };
      return {
        write: (text: string) => {
          assert.ok(!ended, 'nothing is written after the end');
          chunks.push({ at: Date.now(), text });
        },
        end: () => {
          ended = true;
        },
      };
    },
  };
}

describe('tools/call answered as an event stream', () => {
  let aws: LocalAws;
  let endpoint: McpEndpoint;
  let key: string;
  const audit = collectingAuditSink();
  const logs = captureLogs({ level: 'debug' });

  before(async () => {
    aws = await startLocalAws();
    const tableName = await aws.createTable();
    await aws.putSecret(`${PREFIX}canary`, CANARY);
    key = (await createApiKey({ client: aws.dynamodb, tableName }, { agentId: 'stream-agent', scopes: ['*'] })).key;
    endpoint = createMcpApp({
      config: loadConfig({
        REGISTRY_TABLE_NAME: tableName,
        SECRETS_PREFIX: PREFIX,
        SERVER_NAME: 'mcp-test',
        JSON_RESPONSE_TIMEOUT_MS: '400',
        DEADLINE_MARGIN_MS: '100',
      }),
      dynamodb: aws.dynamodb,
      secretsManager: aws.secretsManager,
      codeTools: [steps, leaky, slowSteps],
      logger: logs.logger,
      audit,
    });
  });
  after(() => aws.stop());

  function call(
    name: string,
    args: Record<string, unknown>,
    options: {
      meta?: Record<string, unknown>;
      accept?: string;
      modern?: boolean;
      remainingMs?: number;
      transport?: Pick<HttpRequest, 'openStream'>;
    } = {},
  ): Promise<HttpResponse> {
    const modern = options.modern ?? false;
    const meta = {
      ...(modern
        ? {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientCapabilities': {},
          }
        : {}),
      ...options.meta,
    };
    const deadline = Date.now() + (options.remainingMs ?? 30_000);
    return endpoint({
      method: 'POST',
      path: '/mcp',
      headers: {
        'content-type': 'application/json',
        accept: options.accept ?? 'application/json, text/event-stream',
        authorization: `Bearer ${key}`,
        ...(modern
          ? { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name }
          : { 'mcp-protocol-version': '2025-11-25' }),
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name, arguments: args, ...(Object.keys(meta).length ? { _meta: meta } : {}) },
      }),
      requestId: randomUUID(),
      remainingMs: () => deadline - Date.now(),
      ...options.transport,
    });
  }

  it('sends increasing progress for the token, then the result, as one event stream', async () => {
    const response = await call('steps', { count: 4 }, { meta: { progressToken: 'p-1' } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'text/event-stream');
    const events = eventsOf(response.body);
    const progress = events.filter((e) => e.method === 'notifications/progress');
    assert.deepEqual(
      progress.map((e) => e.params),
      [1, 2, 3, 4].map((done) => ({ progressToken: 'p-1', progress: done, total: 4, message: `step ${done}` })),
    );
    // Legacy era: logs at info and above (a legacy client's logging/setLevel went to another request).
    assert.deepEqual(
      events.filter((e) => e.method === 'notifications/message').map((e) => e.params),
      [{ level: 'warning', logger: 'steps', data: { message: 'something to know', data: { steps: 4 } } }],
    );
    const last = events.at(-1)!;
    assert.equal(last.id, 7);
    assert.equal(last.result.content[0].text, '4 steps done');
    assert.equal(events.indexOf(last), events.length - 1, 'the result is the last event');
  });

  it('honours the log level a 2026-07-28 request asks for, and sends no log without one', async () => {
    const debug = eventsOf(
      (await call('steps', { count: 1 }, { modern: true, meta: { 'io.modelcontextprotocol/logLevel': 'debug' } })).body,
    );
    assert.deepEqual(
      debug.filter((e) => e.method === 'notifications/message').map((e) => e.params?.level),
      ['debug', 'warning'],
    );
    const error = await call(
      'steps',
      { count: 1 },
      { modern: true, meta: { 'io.modelcontextprotocol/logLevel': 'error' } },
    );
    assert.equal(error.headers['content-type'], 'application/json', 'nothing to send: answered as JSON');
    const none = await call('steps', { count: 1 }, { modern: true });
    assert.equal(none.headers['content-type'], 'application/json');
    assert.equal(JSON.parse(none.body).result.resultType, 'complete');
  });

  it('answers JSON when the client does not accept an event stream, dropping the notifications', async () => {
    const response = await call('steps', { count: 2 }, { meta: { progressToken: 9 }, accept: 'application/json' });
    assert.equal(response.headers['content-type'], 'application/json');
    assert.equal(JSON.parse(response.body).result.content[0].text, '2 steps done');
  });

  it('writes each event as it is produced when the transport streams', async () => {
    const transport = streamingTransport();
    const response = await call('steps', { count: 3 }, { meta: { progressToken: 'live' }, transport });
    assert.equal(response.streamed, true);
    assert.equal(transport.opened?.statusCode, 200);
    assert.equal(transport.opened?.headers['content-type'], 'text/event-stream');
    assert.ok(transport.ended);
    const events = transport.chunks.map((chunk) => eventsOf(chunk.text)[0]!);
    assert.deepEqual(
      events.filter((e) => e.method === 'notifications/progress').map((e) => e.params?.progress),
      [1, 2, 3],
    );
    assert.equal(events.at(-1)?.id, 7);
    assert.ok(transport.chunks[0]!.at < transport.chunks.at(-1)!.at, 'the first event left before the result');
  });

  it('never lets a secret through a notification', async () => {
    const response = await call('leaky_progress', {}, { meta: { progressToken: 'c' } });
    assert.ok(!response.body.includes(CANARY), response.body);
    const events = eventsOf(response.body);
    assert.equal(events[0]?.params?.message, 'using [REDACTED]');
    assert.equal(events.filter((e) => e.method === 'notifications/message').length, 1);
    assert.ok(!logs.lines.join('\n').includes(CANARY));
  });

  it('ends a live stream cut by the deadline with a TIMEOUT result, audited as a timeout', async () => {
    const transport = streamingTransport();
    audit.records.length = 0;
    // The JSON response time is 400 ms; a live stream may use the function's 1.5 s.
    const started = Date.now();
    const response = await call('slow_steps', {}, { meta: { progressToken: 't' }, transport, remainingMs: 1_500 });
    const took = Date.now() - started;
    assert.equal(response.streamed, true);
    assert.ok(took > 1_000 && took < 1_500, `ran until the function's deadline less the margin (${took} ms)`);
    const events = transport.chunks.map((chunk) => eventsOf(chunk.text)[0]!);
    assert.equal(events[0]?.method, 'notifications/progress');
    const result = events.at(-1)!.result;
    assert.equal(result.isError, true);
    assert.equal(result.structuredContent.error.code, 'TIMEOUT');
    assert.equal(audit.records.at(-1)?.outcome, 'timeout');
  });

  it('keeps a call answered as JSON within the JSON response time', async () => {
    const started = Date.now();
    const response = await call('slow_steps', {}, { remainingMs: 1_500, transport: streamingTransport() });
    assert.ok(Date.now() - started < 600, 'cut at the JSON response time');
    assert.equal(response.headers['content-type'], 'application/json');
    assert.equal(JSON.parse(response.body).result.structuredContent.error.code, 'TIMEOUT');
  });
});
