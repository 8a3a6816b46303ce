import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ensureRegistryTable, startDynamoDbProcess } from '../../infra/local/dynamodb.js';
import { dynamoDbClient } from '../helpers/aws.js';

describe('the local DynamoDB process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-cluster-dynamodb-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('comes back on the same port with its data when it dies, as DynamoDB does after an outage', async () => {
    const restarts: (number | undefined)[] = [];
    const dynamo = await startDynamoDbProcess({ path: dir, onRestart: ({ pid }) => restarts.push(pid) });
    const client = dynamoDbClient(dynamo.endpoint);
    try {
      await ensureRegistryTable(client, 'kept');
      await client.send(new PutItemCommand({ TableName: 'kept', Item: { PK: { S: 'a' }, SK: { S: 'b' } } }));
      const before = dynamo.pid;
      process.kill(before!, 'SIGKILL');
      for (const deadline = Date.now() + 15_000; restarts.length === 0 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(restarts.length, 1, 'it was started again');
      assert.notEqual(dynamo.pid, before);
      const item = await client.send(
        new GetItemCommand({ TableName: 'kept', Key: { PK: { S: 'a' }, SK: { S: 'b' } } }),
      );
      assert.equal(item.Item?.SK?.S, 'b', 'with the data it had');
    } finally {
      client.destroy();
      await dynamo.close();
    }
  });
});
