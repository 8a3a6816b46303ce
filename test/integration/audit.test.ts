import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { QueryCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { ensureAuditTable } from '../../infra/local/dynamodb.js';
import { searchAudit } from '../../shared/admin/audit.js';
import { type AuditRecord, digestArguments } from '../../shared/audit/audit.js';
import { createDynamoAuditSink } from '../../shared/audit/dynamo-sink.js';
import { createApiKey } from '../../shared/auth/api-keys.js';
import { loadConfig } from '../../shared/config/config.js';
import { ToolError } from '../../shared/errors/errors.js';
import { createMcpApp } from '../../shared/mcp/app.js';
import type { McpEndpoint } from '../../shared/mcp/endpoint.js';
import { createRateLimiter } from '../../shared/rate-limit/rate-limiter.js';
import { syncCodeManifests } from '../../shared/registry/sync.js';
import { defineTool } from '../../shared/tools/define-tool.js';
import { type CapturedLogs, captureLogs, type LocalAws, silentLogger, startLocalAws } from '../helpers/aws.js';
import { postMcp } from '../helpers/endpoint.js';

/** The audit records of a query, oldest first. */
const queryRecords = async (
  client: Parameters<typeof searchAudit>[0]['client'],
  tableName: string,
  search: Parameters<typeof searchAudit>[1],
) => (await searchAudit({ client, tableName }, { limit: 10_000, ...search })).records;

const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 10, minute)).toISOString();

function auditRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: at(0),
    requestId: randomUUID(),
    agentId: 'agent-a',
    tenant: 'acme',
    credentialId: 'key_0123456789abcdef',
    tool: 'calculate',
    outcome: 'success',
    latencyMs: 3.25,
    argumentsDigest: digestArguments({ expression: '1+1' }),
    ...overrides,
  };
}

describe('audit records in DynamoDB (dynalite)', () => {
  let aws: LocalAws;

  before(async () => {
    aws = await startLocalAws();
  });
  after(() => aws?.stop());

  async function auditTable(): Promise<string> {
    const name = `audit-${randomUUID().slice(0, 8)}`;
    await ensureAuditTable(aws.dynamodb, name);
    return name;
  }

  /** Every item of the table as stored, counters included. */
  async function rawItems(tableName: string): Promise<Record<string, unknown>[]> {
    const { Items = [] } = await aws.dynamodb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
    return Items.map((item) => unmarshall(item));
  }

  describe('the sink and queryAudit', () => {
    it("returns one agent's records within [since, until), oldest first", async () => {
      const tableName = await auditTable();
      const sink = createDynamoAuditSink({ client: aws.dynamodb, tableName, retentionDays: 30, logger: silentLogger });
      for (const minute of [3, 0, 4, 1, 2]) await sink.record(auditRecord({ time: at(minute) }));
      await sink.record(auditRecord({ agentId: 'agent-b', time: at(2) }));

      const window = await queryRecords(aws.dynamodb, tableName, { agentId: 'agent-a', since: at(1), until: at(3) });
      assert.deepEqual(
        window.map((r) => r.time),
        [at(1), at(2)],
      );
      assert.ok(window.every((r) => r.agentId === 'agent-a'));

      const sinceOnly = await queryRecords(aws.dynamodb, tableName, { agentId: 'agent-a', since: at(1) });
      assert.deepEqual(
        sinceOnly.map((r) => r.time),
        [at(1), at(2), at(3), at(4)],
      );
      const limited = await queryRecords(aws.dynamodb, tableName, { agentId: 'agent-a', since: at(0), limit: 2 });
      assert.deepEqual(
        limited.map((r) => r.time),
        [at(3), at(4)],
        'the latest records of the range, oldest first',
      );
    });

    it("returns one tool's records across agents through the byTool index, and both filters together", async () => {
      const tableName = await auditTable();
      const sink = createDynamoAuditSink({ client: aws.dynamodb, tableName, retentionDays: 30, logger: silentLogger });
      await sink.record(auditRecord({ agentId: 'agent-a', tool: 'calculate', time: at(1) }));
      await sink.record(auditRecord({ agentId: 'agent-b', tool: 'calculate', time: at(2) }));
      await sink.record(auditRecord({ agentId: 'agent-b', tool: 'get_current_time', time: at(2) }));
      await sink.record(auditRecord({ agentId: 'agent-c', tool: 'calculate', time: at(5) }));

      const byTool = await queryRecords(aws.dynamodb, tableName, { tool: 'calculate', since: at(0), until: at(5) });
      assert.deepEqual(
        byTool.map((r) => `${r.time} ${r.agentId} ${r.tool}`),
        [`${at(1)} agent-a calculate`, `${at(2)} agent-b calculate`],
      );
      const both = await queryRecords(aws.dynamodb, tableName, { agentId: 'agent-b', tool: 'calculate', since: at(0) });
      assert.deepEqual(
        both.map((r) => `${r.agentId} ${r.tool}`),
        ['agent-b calculate'],
      );
    });

    it('scans every agent when given neither, and never returns rate counters', async () => {
      const tableName = await auditTable();
      const sink = createDynamoAuditSink({ client: aws.dynamodb, tableName, retentionDays: 30, logger: silentLogger });
      await sink.record(auditRecord({ agentId: 'agent-c', time: at(3) }));
      await sink.record(auditRecord({ agentId: 'agent-a', time: at(1) }));
      await sink.record(auditRecord({ agentId: 'agent-b', time: at(2) }));
      await sink.record(auditRecord({ agentId: 'agent-z', time: at(9) }));
      await createRateLimiter({ client: aws.dynamodb, tableName }).consume('agent-a#calculate', {
        limit: 5,
        windowSeconds: 60,
      });

      const all = await queryRecords(aws.dynamodb, tableName, { since: at(0), until: at(5) });
      assert.deepEqual(
        all.map((r) => r.agentId),
        ['agent-a', 'agent-b', 'agent-c'],
      );
      assert.ok(all.every((r) => typeof r.outcome === 'string'));
    });

    it('treats `until` as exclusive when scanning, as it does when querying by agent or tool', async () => {
      const tableName = await auditTable();
      const sink = createDynamoAuditSink({
        client: aws.dynamodb,
        tableName,
        retentionDays: 30,
        logger: silentLogger,
      });
      await sink.record(auditRecord({ time: at(1) }));
      await sink.record(auditRecord({ time: at(2) }));
      const range = { since: at(0), until: at(2) };
      const byAgent = await queryRecords(aws.dynamodb, tableName, { agentId: 'agent-a', ...range });
      const scanned = await queryRecords(aws.dynamodb, tableName, range);
      assert.deepEqual(
        byAgent.map((r) => r.time),
        [at(1)],
      );
      assert.deepEqual(
        scanned.map((r) => r.time),
        [at(1)],
      );
    });

    it('accepts since/until written without milliseconds', async () => {
      const tableName = await auditTable();
      const sink = createDynamoAuditSink({
        client: aws.dynamodb,
        tableName,
        retentionDays: 30,
        logger: silentLogger,
      });
      const halfPast = new Date(Date.parse(at(1)) + 500).toISOString();
      await sink.record(auditRecord({ time: halfPast }));
      const found = await queryRecords(aws.dynamodb, tableName, {
        agentId: 'agent-a',
        since: '2024-05-01T10:01:00Z',
        until: '2024-05-01T10:02:00Z',
      });
      assert.deepEqual(
        found.map((r) => r.time),
        [halfPast],
      );
    });

    it('keeps two records with the same time and request id (distinct sort keys)', async () => {
      const tableName = await auditTable();
      const sink = createDynamoAuditSink({ client: aws.dynamodb, tableName, retentionDays: 30, logger: silentLogger });
      const shared = { time: at(1), requestId: 'req-batch-1' };
      await Promise.all([
        sink.record(auditRecord({ ...shared, tool: 'calculate' })),
        sink.record(auditRecord({ ...shared, tool: 'get_current_time' })),
      ]);
      const records = await queryRecords(aws.dynamodb, tableName, { agentId: 'agent-a', since: at(0) });
      assert.deepEqual(records.map((r) => r.tool).sort(), ['calculate', 'get_current_time']);
      const sortKeys = (await rawItems(tableName)).map((item) => item.SK);
      assert.equal(new Set(sortKeys).size, 2);
    });

    it('sets expiresAt to the record time plus the retention, and stores raw arguments only when given', async () => {
      const tableName = await auditTable();
      const logs = captureLogs({ level: 'info' });
      const sink = createDynamoAuditSink({ client: aws.dynamodb, tableName, retentionDays: 30, logger: logs.logger });
      await sink.record(auditRecord({ tool: 'opted_in', arguments: { city: 'Oslo', days: 2 } }));
      await sink.record(auditRecord({ tool: 'digest_only' }));

      const { Items = [] } = await aws.dynamodb.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'AGENT#agent-a' } },
        }),
      );
      const items = new Map(Items.map((raw) => unmarshall(raw)).map((item) => [item.tool as string, item]));
      const expected = Math.floor(Date.parse(at(0)) / 1000) + 30 * 86_400;
      for (const item of items.values()) {
        assert.equal(item.expiresAt, expected);
        assert.match(item.argumentsDigest as string, /^sha256:[0-9a-f]{64}$/);
      }
      assert.deepEqual(items.get('opted_in')?.arguments, { city: 'Oslo', days: 2 });
      assert.equal('arguments' in (items.get('digest_only') ?? {}), false);

      const lines = logs.entries().filter((entry) => entry.audit);
      assert.equal(lines.length, 2, 'each record is also a log line');
    });

    it('writes the log line even when the table cannot be written', async () => {
      const logs = captureLogs({ level: 'info' });
      const sink = createDynamoAuditSink({
        client: aws.dynamodb,
        tableName: 'no-such-audit-table',
        retentionDays: 30,
        logger: logs.logger,
      });
      await assert.rejects(sink.record(auditRecord({ requestId: 'req-kept-in-logs' })));
      assert.ok(logs.lines.some((line) => line.includes('req-kept-in-logs')));
    });
  });

  describe('through the MCP endpoint (createMcpApp with AUDIT_TABLE_NAME and AUDIT_WRITE=table)', () => {
    const PREFIX = 'audit-test/';
    const SECRET = 'audit-SECRET-5e4d3c2b1a';
    let endpoint: McpEndpoint;
    let registryTable: string;
    let auditTableName: string;
    let logs: CapturedLogs;
    const started = new Date(Date.now() - 1000).toISOString();

    const echo = defineTool({
      name: 'echo',
      description: 'Repeats its text; its arguments are kept in the audit trail.',
      input: z.object({ text: z.string() }),
      audit: { arguments: true },
      run: async ({ text }) => text,
    });
    const useSecret = defineTool({
      name: 'use_secret',
      description: 'Uses a credential and carelessly returns it.',
      input: z.object({ note: z.string() }),
      secrets: { token: 'audit-secret' },
      run: async (_args, ctx) => `token ${ctx.secrets.token}`,
    });
    const failWithSecret = defineTool({
      name: 'fail_with_secret',
      description: 'Reports a failure that quotes its credential.',
      input: z.object({}),
      secrets: { token: 'audit-secret' },
      run: async (_args, ctx) => {
        throw new ToolError('UPSTREAM_REJECTED', `upstream rejected ${ctx.secrets.token}`);
      },
    });
    const crashWithSecret = defineTool({
      name: 'crash_with_secret',
      description: 'Crashes with an unexpected error that quotes its credential.',
      input: z.object({}),
      secrets: { token: 'audit-secret' },
      run: async (_args, ctx) => {
        throw new Error(`boom ${ctx.secrets.token}`);
      },
    });
    const adminOnly = defineTool({
      name: 'admin_only',
      description: 'Only for administrators.',
      input: z.object({}),
      scopes: ['admin'],
      run: async () => 'done',
    });
    const limited = defineTool({
      name: 'limited',
      description: 'Rate limited by its manifest to one call per hour per agent.',
      input: z.object({}),
      run: async () => 'ok',
    });
    const codeTools = [echo, useSecret, failWithSecret, crashWithSecret, adminOnly, limited];

    before(async () => {
      registryTable = await aws.createTable();
      auditTableName = await auditTable();
      await aws.putSecret(`${PREFIX}audit-secret`, SECRET);
      await syncCodeManifests({ client: aws.dynamodb, tableName: registryTable }, codeTools);
      await aws.dynamodb.send(
        new UpdateItemCommand({
          TableName: registryTable,
          Key: { PK: { S: 'TOOL' }, SK: { S: 'limited' } },
          UpdateExpression: 'SET rateLimit = :limit, version = version + :one',
          ExpressionAttributeValues: {
            ':limit': { M: { limit: { N: '1' }, windowSeconds: { N: '3600' } } },
            ':one': { N: '1' },
          },
        }),
      );
      logs = captureLogs({ level: 'info' });
      endpoint = createMcpApp({
        config: loadConfig({
          REGISTRY_TABLE_NAME: registryTable,
          AUDIT_TABLE_NAME: auditTableName,
          AUDIT_WRITE: 'table',
          AUDIT_RETENTION_DAYS: '7',
          SECRETS_PREFIX: PREFIX,
          SERVER_NAME: 'audit-test',
        }),
        dynamodb: aws.dynamodb,
        secretsManager: aws.secretsManager,
        codeTools,
        logger: logs.logger,
      });
    });

    /** A key of a fresh agent, so its records are only this test's. */
    async function freshAgent(scopes: string[] = ['basic']): Promise<{ agentId: string; key: string }> {
      const agentId = `audited-${randomUUID().slice(0, 8)}`;
      const { key } = await createApiKey({ client: aws.dynamodb, tableName: registryTable }, { agentId, scopes });
      return { agentId, key };
    }

    async function call(key: string, name: string, args: Record<string, unknown>) {
      const response = await postMcp(endpoint, key, {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name, arguments: args },
      });
      assert.equal(response.statusCode, 200, response.body);
      return JSON.parse(response.body) as {
        result?: { isError?: boolean; structuredContent?: { error?: { code: string } } };
        error?: { code: number };
      };
    }

    const recordsOf = (agentId: string) => queryRecords(aws.dynamodb, auditTableName, { agentId, since: started });

    it('writes one record per tools/call, with the outcome of each', async () => {
      const { agentId, key } = await freshAgent();
      assert.equal((await call(key, 'echo', { text: 'hello' })).result?.isError, undefined);
      assert.equal((await call(key, 'echo', { text: 42 })).result?.structuredContent?.error?.code, 'INVALID_ARGUMENTS');
      assert.equal((await call(key, 'no_such_tool', {})).error?.code, -32602);
      assert.equal((await call(key, 'admin_only', {})).error?.code, -32602);
      assert.equal((await call(key, 'limited', {})).result?.isError, undefined);
      const refused = await call(key, 'limited', {});
      assert.equal(refused.result?.isError, true);
      assert.equal(refused.result?.structuredContent?.error?.code, 'RATE_LIMITED');
      assert.equal((await call(key, 'fail_with_secret', {})).result?.isError, true);

      const records = await recordsOf(agentId);
      assert.deepEqual(records.map((r) => `${r.tool} ${r.outcome} ${r.errorCode ?? '-'}`).sort(), [
        'admin_only denied UNKNOWN_TOOL',
        'echo invalid_arguments INVALID_ARGUMENTS',
        'echo success -',
        'fail_with_secret tool_error UPSTREAM_REJECTED',
        'limited rate_limited RATE_LIMITED',
        'limited success -',
        'no_such_tool unknown_tool UNKNOWN_TOOL',
      ]);
      for (const record of records) {
        assert.equal(record.tenant, 'default');
        assert.match(record.credentialId, /^key_/);
        assert.equal(typeof record.latencyMs, 'number');
        assert.equal(record.onBehalfOf, undefined);
      }
    });

    it('stores the raw arguments of a tool that opts in, and only a digest otherwise', async () => {
      const { agentId, key } = await freshAgent();
      await call(key, 'echo', { text: 'visible in the audit' });
      await call(key, 'use_secret', { note: 'kept-private-note' });
      const records = new Map((await recordsOf(agentId)).map((r) => [r.tool, r]));
      assert.deepEqual(records.get('echo')?.arguments, { text: 'visible in the audit' });
      const digestOnly = records.get('use_secret');
      assert.ok(digestOnly);
      assert.equal(digestOnly.arguments, undefined);
      assert.equal(digestOnly.argumentsDigest, digestArguments({ note: 'kept-private-note' }));
      const raw = JSON.stringify(await rawItems(auditTableName));
      assert.ok(!raw.includes('kept-private-note'), 'the arguments of a digest-only tool are not stored');
    });

    it('never stores a secret value, whatever the tool did with it', async () => {
      const { agentId, key } = await freshAgent();
      const returned = await call(key, 'use_secret', { note: 'n' });
      assert.ok(!JSON.stringify(returned).includes(SECRET), 'the response is scrubbed too');
      await call(key, 'fail_with_secret', {});
      await call(key, 'crash_with_secret', {});
      const records = await recordsOf(agentId);
      assert.deepEqual(records.map((r) => r.outcome).sort(), ['success', 'tool_error', 'tool_error']);
      const stored = JSON.stringify(await rawItems(auditTableName));
      assert.ok(!stored.includes(SECRET), 'a secret value reached the audit table');
      const auditLines = logs.lines.filter((line) => line.includes('"audit"'));
      assert.ok(auditLines.length >= 3);
      assert.ok(!auditLines.some((line) => line.includes(SECRET)), 'a secret value reached an audit log line');
    });
  });
});
