import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { codeHash, syncCodeManifests } from '../../shared/registry/sync.js';
import { TOOL_PARTITION } from '../../shared/store/tool-manifests.js';
import { defineTool } from '../../shared/tools/define-tool.js';
import { type LocalAws, startLocalAws } from '../helpers/aws.js';

const tool = (name: string, description = `The ${name} tool.`, scopes: string[] = []) =>
  defineTool({ name, description, input: z.object({ q: z.string() }), scopes, run: async () => 'ok' });

describe('syncCodeManifests (dynalite)', () => {
  let aws: LocalAws;

  before(async () => {
    aws = await startLocalAws();
  });
  after(() => aws.stop());

  async function manifest(tableName: string, name: string) {
    const { Item } = await aws.dynamodb.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { PK: { S: TOOL_PARTITION }, SK: { S: name } },
        ConsistentRead: true,
      }),
    );
    return Item ? unmarshall(Item) : undefined;
  }

  it('creates a manifest for every new code tool', async () => {
    const tableName = await aws.createTable();
    const forecast = tool('forecast', 'Forecast.', ['weather']);
    const result = await syncCodeManifests({ client: aws.dynamodb, tableName }, [forecast, tool('echo')]);
    assert.deepEqual(result, { created: ['forecast', 'echo'], updated: [], unchanged: [], removed: [], shadowed: [] });
    const item = await manifest(tableName, 'forecast');
    assert.equal(item?.source, 'code');
    assert.equal(item?.version, 1);
    assert.equal(item?.codeHash, codeHash(forecast));
    assert.deepEqual(item?.defaultScopes, ['weather']);
    assert.equal(item?.defaultDescription, 'Forecast.');
    assert.equal(item?.enabled, undefined, 'policy fields are left to operators');
  });

  it('is idempotent: a second run changes nothing and bumps no version', async () => {
    const tableName = await aws.createTable();
    const tools = [tool('a'), tool('b')];
    await syncCodeManifests({ client: aws.dynamodb, tableName }, tools);
    const before = await manifest(tableName, 'a');
    const result = await syncCodeManifests({ client: aws.dynamodb, tableName }, tools, new Date(Date.now() + 60_000));
    assert.deepEqual(result, { created: [], updated: [], unchanged: ['a', 'b'], removed: [], shadowed: [] });
    assert.deepEqual(await manifest(tableName, 'a'), before);
  });

  it('updates a tool whose code changed and bumps its version', async () => {
    const tableName = await aws.createTable();
    await syncCodeManifests({ client: aws.dynamodb, tableName }, [tool('a', 'First wording.')]);
    const result = await syncCodeManifests({ client: aws.dynamodb, tableName }, [tool('a', 'Second wording.')]);
    assert.deepEqual(result.updated, ['a']);
    const item = await manifest(tableName, 'a');
    assert.equal(item?.version, 2);
    assert.equal(item?.defaultDescription, 'Second wording.');
  });

  it('keeps operator policy (enabled, scopes, description) through a re-sync of changed code', async () => {
    const tableName = await aws.createTable();
    await syncCodeManifests({ client: aws.dynamodb, tableName }, [tool('a', 'v1', ['read'])]);
    await aws.dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { PK: { S: TOOL_PARTITION }, SK: { S: 'a' } },
        UpdateExpression: 'SET enabled = :false, scopes = :scopes, description = :description',
        ExpressionAttributeValues: marshall({
          ':false': false,
          ':scopes': ['ops'],
          ':description': 'Operator wording.',
        }),
      }),
    );
    await syncCodeManifests({ client: aws.dynamodb, tableName }, [tool('a', 'v1', ['read'])]);
    await syncCodeManifests({ client: aws.dynamodb, tableName }, [tool('a', 'v2', ['read', 'write'])]);
    const item = await manifest(tableName, 'a');
    assert.equal(item?.enabled, false);
    assert.deepEqual(item?.scopes, ['ops']);
    assert.equal(item?.description, 'Operator wording.');
    assert.deepEqual(item?.defaultScopes, ['read', 'write'], 'while code-owned fields follow the code');
  });

  it('deletes the manifests of tools removed from code', async () => {
    const tableName = await aws.createTable();
    await syncCodeManifests({ client: aws.dynamodb, tableName }, [tool('keep'), tool('gone')]);
    const result = await syncCodeManifests({ client: aws.dynamodb, tableName }, [tool('keep')]);
    assert.deepEqual(result, { created: [], updated: [], unchanged: ['keep'], removed: ['gone'], shadowed: [] });
    assert.equal(await manifest(tableName, 'gone'), undefined);
    assert.ok(await manifest(tableName, 'keep'));
  });

  it('never deletes manifests of other sources', async () => {
    const tableName = await aws.createTable();
    await aws.dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({ PK: TOOL_PARTITION, SK: 'lookup_order', source: 'http', url: 'https://orders.example.com' }),
      }),
    );
    const result = await syncCodeManifests({ client: aws.dynamodb, tableName }, [tool('a')]);
    assert.deepEqual(result.removed, []);
    assert.equal((await manifest(tableName, 'lookup_order'))?.source, 'http');
  });

  it('never overwrites an HTTP tool manifest, even one named like a code tool', async () => {
    const tableName = await aws.createTable();
    const http = {
      inputSchema: { type: 'object', properties: {} },
      request: { method: 'GET', url: 'https://orders.example.com/orders' },
    };
    await aws.dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({ PK: TOOL_PARTITION, SK: 'orders', source: 'http', description: 'Orders.', version: 3, http }),
      }),
    );
    const first = await syncCodeManifests({ client: aws.dynamodb, tableName }, [tool('orders')]);
    assert.deepEqual(first.shadowed, ['orders'], 'the sync says the code tool and the HTTP tool share a name');
    assert.deepEqual(first.unchanged, []);
    await syncCodeManifests({ client: aws.dynamodb, tableName }, []);
    const item = await manifest(tableName, 'orders');
    assert.equal(item?.source, 'http');
    assert.equal(item?.version, 3);
    assert.equal(item?.codeHash, undefined);
    assert.deepEqual(item?.http, http);
  });
});
