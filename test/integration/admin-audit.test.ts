import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ensureAuditTable } from '../../infra/local/dynamodb.js';
import type { AdminError } from '../../shared/admin/admin-error.js';
import { type AuditSearch, searchAudit } from '../../shared/admin/audit.js';
import type { AuditRecord } from '../../shared/audit/audit.js';
import { createDynamoAuditSink } from '../../shared/audit/dynamo-sink.js';
import { type LocalAws, silentLogger, startLocalAws } from '../helpers/aws.js';

/** Calls at 10:00, 10:01, … 10:05 on 2030-01-01, alternating two agents and two tools. */
const CALLS = Array.from({ length: 6 }, (_, i) => ({
  time: `2030-01-01T10:0${i}:00.000Z`,
  agentId: i % 2 === 0 ? 'agent-even' : 'agent-odd',
  tool: i < 3 ? 'calculate' : 'get_weather_forecast',
}));

function record(call: (typeof CALLS)[number]): AuditRecord {
  return {
    ...call,
    requestId: randomUUID(),
    tenant: 'default',
    credentialId: `key_${call.agentId}`,
    outcome: 'success',
    latencyMs: 3,
    argumentsDigest: 'sha256:0',
  };
}

describe('admin: audit search (dynalite)', () => {
  let aws: LocalAws;
  const tableName = 'audit-admin-test';
  const store = () => ({ client: aws.dynamodb, tableName });

  before(async () => {
    aws = await startLocalAws();
    await ensureAuditTable(aws.dynamodb, tableName);
    const sink = createDynamoAuditSink({ client: aws.dynamodb, tableName, retentionDays: 90, logger: silentLogger });
    for (const call of CALLS) await sink.record(record(call));
    // A rate counter shares the table; it is not an audit record.
    await aws.dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({ PK: 'RATE#agent-even#calculate', SK: 'W#1893492000', count: 2, time: CALLS[0]!.time }),
      }),
    );
  });
  after(() => aws.stop());

  const ALL = { since: '2030-01-01T00:00:00.000Z', until: '2030-01-02T00:00:00.000Z' };
  const times = (records: AuditRecord[]) => records.map((r) => r.time.slice(11, 16));

  it("returns an agent's calls in the range, oldest first, without the table's keys", async () => {
    const { records, truncated } = await searchAudit(store(), { ...ALL, agentId: 'agent-even' });
    assert.deepEqual(times(records), ['10:00', '10:02', '10:04']);
    assert.equal(truncated, false);
    for (const key of ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'expiresAt']) assert.ok(!(key in records[0]!), key);
    assert.equal(records[0]?.credentialId, 'key_agent-even');
  });

  it("returns a tool's calls through the index, and an agent's calls of one tool", async () => {
    const byTool = await searchAudit(store(), { ...ALL, tool: 'get_weather_forecast' });
    assert.deepEqual(times(byTool.records), ['10:03', '10:04', '10:05']);
    const both = await searchAudit(store(), { ...ALL, agentId: 'agent-odd', tool: 'calculate' });
    assert.deepEqual(times(both.records), ['10:01']);
  });

  it('scans every call when neither agent nor tool is given, leaving rate counters out', async () => {
    const { records } = await searchAudit(store(), ALL);
    assert.deepEqual(times(records), ['10:00', '10:01', '10:02', '10:03', '10:04', '10:05']);
  });

  it('includes the start of the range and excludes its end', async () => {
    const range = { since: '2030-01-01T10:01:00.000Z', until: '2030-01-01T10:04:00.000Z' };
    assert.deepEqual(times((await searchAudit(store(), range)).records), ['10:01', '10:02', '10:03']);
    assert.deepEqual(times((await searchAudit(store(), { ...range, agentId: 'agent-even' })).records), ['10:02']);
    assert.deepEqual(times((await searchAudit(store(), { ...range, tool: 'calculate' })).records), ['10:01', '10:02']);
  });

  it('keeps the latest records under a limit and says that older ones were left out', async () => {
    const searches: AuditSearch[] = [
      { ...ALL, limit: 2 },
      { ...ALL, limit: 2, agentId: 'agent-odd' },
      { ...ALL, limit: 2, tool: 'get_weather_forecast' },
    ];
    for (const search of searches) {
      const { records, truncated } = await searchAudit(store(), search);
      assert.deepEqual(times(records), search.agentId ? ['10:03', '10:05'] : ['10:04', '10:05']);
      assert.equal(truncated, true);
    }
    const exact = await searchAudit(store(), { ...ALL, limit: 3, agentId: 'agent-odd' });
    assert.equal(exact.truncated, false);
  });

  it('takes bounds in any ISO form, compared as the records store them', async () => {
    const { records } = await searchAudit(store(), { since: '2030-01-01T11:03:00+01:00', until: '2030-01-02' });
    assert.deepEqual(times(records), ['10:03', '10:04', '10:05']);
  });

  it('refuses an empty range, a bound that is not a date and a limit that is not a positive whole number', async () => {
    const invalid = (error: unknown) => (error as AdminError).code === 'INVALID_INPUT';
    await assert.rejects(searchAudit(store(), { since: ALL.until, until: ALL.since }), invalid);
    await assert.rejects(searchAudit(store(), { since: 'yesterday' }), invalid);
    await assert.rejects(searchAudit(store(), { ...ALL, limit: 0 }), invalid);
    await assert.rejects(searchAudit(store(), { ...ALL, limit: 1.5 }), invalid);
  });
});
