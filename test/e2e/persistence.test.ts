import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { startLocalCluster } from '../../infra/local/cluster.js';
import { post } from '../helpers/cluster.js';

describe('local cluster state', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'mcp-cluster-state-'));
  after(() => rmSync(stateDir, { recursive: true, force: true }));

  it('keeps keys and operator changes to manifests across a restart, and re-syncs code-owned fields only', async () => {
    const first = await startLocalCluster({ port: 0, workers: 1, stateDir });
    try {
      await first.dynamodb.send(
        new UpdateItemCommand({
          TableName: first.tableName,
          Key: { PK: { S: 'TOOL' }, SK: { S: 'get_current_time' } },
          UpdateExpression: 'SET enabled = :off, scopes = :scopes',
          ExpressionAttributeValues: { ':off': { BOOL: false }, ':scopes': { L: [{ S: 'time:read' }] } },
        }),
      );
    } finally {
      await first.stop();
    }

    const second = await startLocalCluster({ port: 0, workers: 1, stateDir });
    try {
      assert.equal(second.apiKey, first.apiKey);
      assert.deepEqual(second.sync.created, [], 'nothing is new on the second start');
      assert.ok(second.sync.unchanged.includes('get_current_time'));
      const item = await second.dynamodb.send(
        new GetItemCommand({ TableName: second.tableName, Key: { PK: { S: 'TOOL' }, SK: { S: 'get_current_time' } } }),
      );
      assert.equal(item.Item?.enabled?.BOOL, false);
      assert.deepEqual(item.Item?.scopes?.L, [{ S: 'time:read' }]);

      const response = await post(
        second.url,
        { jsonrpc: '2.0', id: 1, method: 'tools/list' },
        {
          authorization: `Bearer ${second.apiKey}`,
        },
      );
      const names = ((await response.json()) as { result: { tools: { name: string }[] } }).result.tools.map(
        (t) => t.name,
      );
      assert.ok(!names.includes('get_current_time'), 'the disabled tool stays disabled');
      assert.ok(names.includes('calculate'));
    } finally {
      await second.stop();
    }
  });
});
