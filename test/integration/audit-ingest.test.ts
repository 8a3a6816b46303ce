import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ensureAuditTable } from '../../infra/local/dynamodb.js';
import { type AuditRecord, digestArguments } from '../../shared/audit/audit.js';
import { auditRecordOf, decodeSubscriptionData, ingestAuditLines } from '../../shared/audit/ingest.js';
import { type LocalDynamo, startLocalDynamo } from '../helpers/aws.js';

function record(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: '2030-01-01T10:00:00.000Z',
    requestId: randomUUID(),
    agentId: 'agent-a',
    tenant: 'acme',
    credentialId: 'key_0123456789abcdef',
    tool: 'calculate',
    outcome: 'success',
    latencyMs: 1.5,
    argumentsDigest: digestArguments({ expression: '1+1' }),
    ...overrides,
  };
}

/** The line the MCP function's logger writes for one call. */
const auditLine = (audit: AuditRecord) =>
  JSON.stringify({ level: 'info', time: audit.time, message: 'tool call', requestId: audit.requestId, audit });

describe('audit ingestion from log lines', () => {
  let dynamo: LocalDynamo;
  let tableName: string;

  before(async () => {
    dynamo = await startLocalDynamo();
    tableName = `audit-${randomUUID().slice(0, 8)}`;
    await ensureAuditTable(dynamo.client, tableName);
  });
  after(() => dynamo?.dispose());

  const stored = async () =>
    ((await dynamo.client.send(new ScanCommand({ TableName: tableName }))).Items ?? []).map(
      (item) => unmarshall(item) as AuditRecord & { PK: string; expiresAt: number },
    );

  it('decodes a CloudWatch Logs subscription payload and ignores its control messages', () => {
    const encode = (payload: unknown) => gzipSync(JSON.stringify(payload)).toString('base64');
    const lines = decodeSubscriptionData(
      encode({ messageType: 'DATA_MESSAGE', logEvents: [{ id: 'e1', timestamp: 1, message: 'hello' }] }),
    );
    assert.deepEqual(lines, [{ id: 'e1', message: 'hello' }]);
    assert.deepEqual(decodeSubscriptionData(encode({ messageType: 'CONTROL_MESSAGE', logEvents: [] })), []);
  });

  it('finds the audit record in a raw line, a line wrapped by Lambda JSON logging, or one with a text prefix', () => {
    const audit = record();
    const raw = auditLine(audit);
    assert.deepEqual(auditRecordOf(raw), audit);
    assert.deepEqual(auditRecordOf(JSON.stringify({ timestamp: 'x', level: 'INFO', message: raw })), audit);
    assert.deepEqual(auditRecordOf(`2030-01-01T10:00:00.000Z\tabc-123\tINFO\t${raw}`), audit);
    assert.equal(auditRecordOf(JSON.stringify({ message: 'registry refreshed' })), undefined);
    assert.equal(auditRecordOf('not json at all'), undefined);
    assert.equal(
      auditRecordOf(JSON.stringify({ message: 'tool call', audit: { tool: 'x' } })),
      undefined,
      'incomplete',
    );
  });

  it('writes one record per audit line, in batches of 25, skipping other lines', async () => {
    const agentId = `agent-${randomUUID().slice(0, 6)}`;
    const lines = Array.from({ length: 60 }, (_, i) => ({
      id: `ev-${agentId}-${i}`,
      message: auditLine(record({ agentId })),
    }));
    lines.push({ id: 'other', message: JSON.stringify({ level: 'warn', message: 'registry refresh failed' }) });
    assert.equal(await ingestAuditLines({ client: dynamo.client, tableName, retentionDays: 30 }, lines), 60);
    const mine = (await stored()).filter((item) => item.agentId === agentId);
    assert.equal(mine.length, 60);
    assert.ok(mine.every((item) => item.expiresAt === Date.parse('2030-01-01T10:00:00.000Z') / 1000 + 30 * 86_400));
  });

  it('keeps exactly one record when the same log event is delivered twice', async () => {
    const agentId = `agent-${randomUUID().slice(0, 6)}`;
    const line = { id: `ev-${agentId}`, message: auditLine(record({ agentId })) };
    await ingestAuditLines({ client: dynamo.client, tableName, retentionDays: 30 }, [line]);
    await ingestAuditLines({ client: dynamo.client, tableName, retentionDays: 30 }, [line, line]);
    assert.equal((await stored()).filter((item) => item.agentId === agentId).length, 1);
  });

  const options = () => ({ client: dynamo.client, tableName, retentionDays: 30 });
  const startLine = (audit: AuditRecord) =>
    JSON.stringify({ level: 'info', message: 'tool call started', requestId: audit.requestId, audit });
  const byAgent = async (agentId: string) => (await stored()).filter((item) => item.agentId === agentId);

  it('keeps one record per call: its end replaces its start marker, whichever line comes first or alone', async () => {
    const agentId = `agent-${randomUUID().slice(0, 6)}`;
    const call = (callId: string) => record({ agentId, callId, tool: 'delete_user_account' });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => call(id)) as [
      AuditRecord,
      AuditRecord,
      AuditRecord,
      AuditRecord,
    ];
    // a: start and end in one delivery; b: start, then end later; c: end, then a late start; d: only started.
    await ingestAuditLines(options(), [
      { id: 'a1', message: startLine({ ...a, outcome: 'started' }) },
      { id: 'a2', message: auditLine(a) },
      { id: 'b1', message: startLine({ ...b, outcome: 'started' }) },
      { id: 'c2', message: auditLine(c) },
      { id: 'd1', message: startLine({ ...d, outcome: 'started' }) },
    ]);
    await ingestAuditLines(options(), [
      { id: 'b2', message: auditLine(b) },
      { id: 'c1', message: startLine({ ...c, outcome: 'started' }) },
    ]);
    const outcomes = Object.fromEntries((await byAgent(agentId)).map((item) => [item.callId, item.outcome]));
    assert.deepEqual(outcomes, { a: 'success', b: 'success', c: 'success', d: 'started' });
  });

  it('stores a record too large for an item without its raw arguments, saying so', async () => {
    const agentId = `agent-${randomUUID().slice(0, 6)}`;
    const huge = record({ agentId, callId: 'h', arguments: { blob: 'x'.repeat(500_000) } });
    await ingestAuditLines(options(), [{ id: 'h', message: auditLine(huge) }]);
    const [item] = await byAgent(agentId);
    assert.equal(item?.arguments, undefined);
    assert.equal((item as unknown as { argumentsOmitted: string }).argumentsOmitted, 'too large to store');
  });

  it('writes the neighbours of a record DynamoDB refuses, and names the refused one', async () => {
    const agentId = `agent-${randomUUID().slice(0, 6)}`;
    const refused: string[] = [];
    const lines = Array.from({ length: 5 }, (_, i) => ({
      id: `n${i}`,
      message: auditLine(record({ agentId, callId: `n${i}`, ...(i === 2 ? { tool: 't'.repeat(450_000) } : {}) })),
    }));
    await ingestAuditLines({ ...options(), onRejected: (r) => refused.push(r.callId ?? '') }, lines);
    assert.deepEqual((await byAgent(agentId)).map((item) => item.callId).sort(), ['n0', 'n1', 'n3', 'n4']);
    assert.deepEqual(refused, ['n2']);
  });

  it('throws, for the lines to be retried, when DynamoDB fails for any other reason (here: no such table)', async () => {
    const agentId = `agent-${randomUUID().slice(0, 6)}`;
    await assert.rejects(
      ingestAuditLines({ ...options(), tableName: 'no-such-table' }, [
        { id: 'x', message: auditLine(record({ agentId })) },
      ]),
    );
  });
});
