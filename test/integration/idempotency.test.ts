import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { ensureAuditTable } from '../../infra/local/dynamodb.js';
import { createApiKey } from '../../shared/auth/api-keys.js';
import { loadConfig } from '../../shared/config/config.js';
import { ToolError } from '../../shared/errors/errors.js';
import { createMcpApp } from '../../shared/mcp/app.js';
import { ERROR_META_KEY } from '../../shared/mcp/call-tool.js';
import type { McpEndpoint } from '../../shared/mcp/endpoint.js';
import { IDEMPOTENCY_KEY_META, IDEMPOTENCY_RESULT_META } from '../../shared/mcp/idempotency.js';
import { defineTool } from '../../shared/tools/define-tool.js';
import { type LocalAws, silentLogger, sleep, startLocalAws } from '../helpers/aws.js';
import { collectingAuditSink, postMcp } from '../helpers/endpoint.js';

const PREFIX = 'idem-test/';
const SECRET = 'payments-SECRET-5e4d3c2b1a';
const runs = new Map<string, number>();
const count = (name: string) => runs.set(name, (runs.get(name) ?? 0) + 1);
const failNext = new Set<string>();

const sideEffect = { readOnlyHint: false, idempotentHint: false } as const;

const charge = defineTool({
  name: 'charge',
  description: 'Charges an amount (a side effect that must happen once).',
  input: z.object({ account: z.string(), cents: z.number().int() }),
  output: z.object({ chargeId: z.string(), cents: z.number(), receipt: z.string() }),
  annotations: sideEffect,
  secrets: { token: 'payments' },
  async run({ account, cents }, ctx) {
    count('charge');
    await sleep(100);
    if (failNext.delete(account))
      throw new ToolError('UPSTREAM_REJECTED', 'The payment API refused; nothing was charged.');
    // A result that (wrongly) echoes the credential: what is stored for replays must be scrubbed like the response.
    return { chargeId: randomUUID(), cents, receipt: `paid with ${ctx.secrets.token}` };
  },
});

const slowCharge = defineTool({
  name: 'slow_charge',
  description: 'Takes longer than its deadline the first time.',
  input: z.object({ account: z.string() }),
  annotations: sideEffect,
  timeoutMs: 200,
  async run({ account }, ctx) {
    count('slow_charge');
    if ((runs.get('slow_charge') ?? 0) === 1) await sleep(1_000);
    ctx.signal.throwIfAborted();
    return `charged ${account}`;
  },
});

const uncertain = defineTool({
  name: 'uncertain_charge',
  description: 'Fails in a way that may have taken effect.',
  input: z.object({ account: z.string() }),
  annotations: sideEffect,
  async run() {
    count('uncertain_charge');
    throw new ToolError('UPSTREAM_TIMEOUT', 'The payment API did not answer; the charge may have gone through.', {
      retryable: false,
      mayHaveTakenEffect: true,
    });
  },
});

const shortLived = defineTool({
  name: 'short_lived',
  description: 'Protected with a one-second TTL.',
  input: z.object({ n: z.number() }),
  annotations: sideEffect,
  idempotency: { ttl: 1, window: 1 },
  async run({ n }) {
    count('short_lived');
    return `run ${runs.get('short_lived')} for ${n}`;
  },
});

const readTool = defineTool({
  name: 'read_balance',
  description: 'Reads (no side effect: never protected).',
  input: z.object({ account: z.string() }),
  annotations: { readOnlyHint: true },
  async run() {
    count('read_balance');
    return 'balance: 10';
  },
});

type ToolResult = {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown> & { error?: { code: string; retryable: boolean } };
  _meta?: Record<string, unknown>;
};

describe('idempotent tool calls (in process, dynalite + local Secrets Manager)', () => {
  let aws: LocalAws;
  let endpoint: McpEndpoint;
  let key: string;
  let auditTable: string;
  const audit = collectingAuditSink();
  const { records } = audit;

  before(async () => {
    aws = await startLocalAws();
    const tableName = await aws.createTable();
    auditTable = `audit-${randomUUID().slice(0, 8)}`;
    await ensureAuditTable(aws.dynamodb, auditTable);
    await aws.putSecret(`${PREFIX}payments`, SECRET);
    key = (await createApiKey({ client: aws.dynamodb, tableName }, { agentId: 'billing-agent', scopes: [] })).key;
    endpoint = createMcpApp({
      config: loadConfig({ REGISTRY_TABLE_NAME: tableName, AUDIT_TABLE_NAME: auditTable, SECRETS_PREFIX: PREFIX }),
      dynamodb: aws.dynamodb,
      secretsManager: aws.secretsManager,
      codeTools: [charge, slowCharge, uncertain, shortLived, readTool],
      logger: silentLogger,
      audit,
    });
  });
  after(() => aws.stop());
  beforeEach(() => {
    runs.clear();
    records.length = 0;
  });

  async function call(
    name: string,
    args: Record<string, unknown>,
    options: { key?: string; header?: string } = {},
  ): Promise<ToolResult> {
    const response = await postMcp(
      endpoint,
      key,
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: {
          name,
          arguments: args,
          ...(options.key ? { _meta: { [IDEMPOTENCY_KEY_META]: options.key } } : {}),
        },
      },
      { headers: options.header ? { 'idempotency-key': options.header } : {} },
    );
    assert.equal(response.statusCode, 200, response.body);
    return (JSON.parse(response.body) as { result: ToolResult }).result;
  }

  const withoutMeta = ({ _meta, ...rest }: ToolResult) => rest;
  const codeOf = (result: ToolResult) => (result._meta?.[ERROR_META_KEY] as { code: string } | undefined)?.code;

  it('runs 10 concurrent calls with one key once, and answers all 10 with the same result', async () => {
    const idem = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => call('charge', { account: 'a-1', cents: 500 }, { key: idem })),
    );
    assert.equal(runs.get('charge'), 1);
    for (const result of results) assert.deepEqual(withoutMeta(result), withoutMeta(results[0]!));
    assert.equal(results.filter((r) => r._meta?.[IDEMPOTENCY_RESULT_META] !== undefined).length, 9, '9 replays');
    const outcomes = records.map((r) => r.outcome).sort();
    assert.deepEqual(outcomes, [...Array(9).fill('replayed'), 'success']);
    const execution = records.find((r) => r.outcome === 'success')!;
    assert.ok(records.every((r) => r.idempotencyKey === execution.idempotencyKey && r.idempotencyKey));
    assert.ok(records.filter((r) => r.outcome === 'replayed').every((r) => r.replayOf === execution.callId));
  });

  it('replays a completed call for the same key (header or _meta), without running the tool', async () => {
    const idem = randomUUID();
    const first = await call('charge', { account: 'a-2', cents: 100 }, { header: idem });
    const again = await call('charge', { account: 'a-2', cents: 100 }, { key: idem });
    assert.equal(runs.get('charge'), 1);
    assert.deepEqual(again.structuredContent, first.structuredContent);
    assert.equal((again._meta?.[IDEMPOTENCY_RESULT_META] as { replay?: boolean } | undefined)?.replay, true);
    assert.equal(first._meta?.[IDEMPOTENCY_RESULT_META], undefined, 'the execution itself is no replay');
  });

  it('never stores or replays a secret the result carried', async () => {
    const idem = randomUUID();
    await call('charge', { account: 'a-3', cents: 1 }, { key: idem });
    const replay = await call('charge', { account: 'a-3', cents: 1 }, { key: idem });
    assert.ok(!JSON.stringify(replay).includes(SECRET));
    const { Items = [] } = await aws.dynamodb.send(new ScanCommand({ TableName: auditTable }));
    assert.ok(Items.some((item) => item.PK?.S?.startsWith('IDEM#') && item.result?.S?.includes('[REDACTED]')));
    assert.ok(!JSON.stringify(Items).includes(SECRET));
  });

  it('refuses the same key with other arguments, naming the problem, without running the tool', async () => {
    const idem = randomUUID();
    await call('charge', { account: 'a-4', cents: 100 }, { key: idem });
    const other = await call('charge', { account: 'a-4', cents: 999 }, { key: idem });
    assert.equal(runs.get('charge'), 1);
    assert.equal(other.isError, true);
    assert.equal(codeOf(other), 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(records.at(-1)?.outcome, 'idempotency_refused');
  });

  it('releases the key of a call that failed, so a retry with the same key runs', async () => {
    const idem = randomUUID();
    failNext.add('a-5');
    const failed = await call('charge', { account: 'a-5', cents: 100 }, { key: idem });
    assert.equal(codeOf(failed), 'UPSTREAM_REJECTED');
    const retried = await call('charge', { account: 'a-5', cents: 100 }, { key: idem });
    assert.equal(retried.isError, undefined);
    assert.equal(runs.get('charge'), 2);
  });

  it('releases the key of a call that timed out, so a retry runs', async () => {
    const idem = randomUUID();
    const timedOut = await call('slow_charge', { account: 'a-6' }, { key: idem });
    assert.equal(codeOf(timedOut), 'TIMEOUT');
    const retried = await call('slow_charge', { account: 'a-6' }, { key: idem });
    assert.deepEqual(retried.content, [{ type: 'text', text: 'charged a-6' }]);
    assert.equal(runs.get('slow_charge'), 2);
  });

  it('keeps the key of a failure the tool says may have taken effect, and reports it again', async () => {
    const idem = randomUUID();
    const first = await call('uncertain_charge', { account: 'a-7' }, { key: idem });
    const again = await call('uncertain_charge', { account: 'a-7' }, { key: idem });
    assert.equal(runs.get('uncertain_charge'), 1);
    assert.equal(codeOf(again), 'UPSTREAM_TIMEOUT');
    assert.deepEqual(again.content, first.content);
  });

  it('replays a repeat without a key within the window, and runs it again once the TTL passed', async () => {
    const first = await call('short_lived', { n: 1 });
    const repeat = await call('short_lived', { n: 1 });
    assert.equal(runs.get('short_lived'), 1);
    assert.deepEqual(repeat.content, first.content);
    const idem = randomUUID();
    await call('short_lived', { n: 2 }, { key: idem });
    await sleep(2_100); // TTLs are whole seconds
    const later = await call('short_lived', { n: 2 }, { key: idem });
    assert.equal(runs.get('short_lived'), 3);
    assert.equal(later._meta?.[IDEMPOTENCY_RESULT_META], undefined, 'a fresh run, not a replay');
  });

  it('leaves tools without side effects unprotected, whatever the client sends', async () => {
    const idem = randomUUID();
    await call('read_balance', { account: 'a-8' }, { key: idem });
    await call('read_balance', { account: 'a-8' }, { key: idem });
    assert.equal(runs.get('read_balance'), 2);
    assert.ok(records.every((r) => r.idempotencyKey === undefined));
  });

  it('refuses a malformed key with -32602 naming the field', async () => {
    const response = await postMcp(
      endpoint,
      key,
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'charge', arguments: {} } },
      { headers: { 'idempotency-key': 'has spaces in it' } },
    );
    const body = JSON.parse(response.body) as { error: { code: number; data: { field: string } } };
    assert.equal(body.error.code, -32602);
    assert.equal(body.error.data.field, 'Idempotency-Key');
  });
});
