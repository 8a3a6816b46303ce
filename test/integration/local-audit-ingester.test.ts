import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { LocalAuditIngester } from '../../infra/local/audit-ingester.js';
import { ensureAuditTable, startDynamoDb } from '../../infra/local/dynamodb.js';
import { closedPortUrl, dynamoDbClient } from '../helpers/aws.js';

const line = (callId: string) =>
  JSON.stringify({
    level: 'info',
    message: 'tool call',
    audit: {
      time: '2030-01-01T10:00:00.000Z',
      callId,
      requestId: randomUUID(),
      agentId: 'spooled',
      tenant: 't',
      credentialId: 'k',
      tool: 'calculate',
      outcome: 'success',
      latencyMs: 1,
      argumentsDigest: 'sha256:x',
    },
  });

describe('the local audit ingester', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-cluster-spool-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps audit lines in its spool while the audit store is down, across a restart, and writes them once it is back', async () => {
    const port = Number(new URL(await closedPortUrl()).port);
    const client = dynamoDbClient(`http://127.0.0.1:${port}`, { failFast: true });
    const spoolFile = join(dir, 'audit-spool.jsonl');
    const errors: unknown[] = [];
    const options = {
      client,
      tableName: 'audit',
      retentionDays: 1,
      spoolFile,
      onError: (e: unknown) => errors.push(e),
    };
    const first = new LocalAuditIngester(options);
    for (const id of ['a', 'b', 'c']) first.offer(line(id), 0);
    first.offer(JSON.stringify({ level: 'info', message: 'registry refreshed' }), 0);
    await first.flush();
    assert.equal(first.waiting, 3, 'nothing was written, nothing was dropped');
    assert.equal(readFileSync(spoolFile, 'utf8').trim().split('\n').length, 3);
    assert.equal(errors.length, 1, 'the outage is reported once');
    await first.stop();

    const dynamo = await startDynamoDb({ port });
    try {
      await ensureAuditTable(client, 'audit');
      const second = new LocalAuditIngester(options);
      assert.equal(second.waiting, 3, 'the next start reads the spool');
      await second.flush();
      assert.equal(second.waiting, 0);
      assert.equal(readFileSync(spoolFile, 'utf8'), '', 'the spool is empty once everything is written');
      const items = (await client.send(new ScanCommand({ TableName: 'audit' }))).Items ?? [];
      assert.deepEqual(items.map((item) => item.callId?.S).sort(), ['a', 'b', 'c']);
      await second.stop();
    } finally {
      client.destroy();
      await dynamo.close();
    }
  });
});
