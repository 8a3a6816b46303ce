import './quiet-aws-sdk.js';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';
import { createManifestSyncHandler, type ManifestSyncHandler } from '../../functions/manifest-sync/handler.js';
import { promptModules } from '../../functions/prompts/index.generated.js';
import { resourceModules } from '../../functions/resources/index.generated.js';
import { toolModules } from '../../functions/tools/index.generated.js';
import { ensureRegistryTable, type LocalDynamoDb, startDynamoDb } from '../../infra/local/dynamodb.js';
import { createLogger } from '../../shared/logging/logger.js';

/**
 * The deploy-time sync handler against dynalite, answering a local HTTP server that stands in for CloudFormation's
 * pre-signed response URL: the same PUT it makes in AWS.
 */
describe('the manifest sync custom resource handler', () => {
  let dynamo: LocalDynamoDb;
  let client: DynamoDBClient;
  let cloudFormation: Server;
  let responseUrl: string;
  const received: { headers: Record<string, unknown>; body: CloudFormationCustomResourceResponse }[] = [];
  const context = { getRemainingTimeInMillis: () => 60_000 };
  const logger = createLogger({ level: 'silent' });

  const handlerFor = (tableName?: string): ManifestSyncHandler =>
    createManifestSyncHandler({ client, env: tableName ? { REGISTRY_TABLE_NAME: tableName } : {}, logger });

  const event = (
    requestType: 'Create' | 'Update' | 'Delete',
    physicalId = 'manifest-sync/previous',
  ): CloudFormationCustomResourceEvent => {
    const common = {
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:sync',
      ResponseURL: responseUrl,
      StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/McpCluster-dev/1',
      RequestId: randomUUID(),
      LogicalResourceId: 'ManifestSync',
      ResourceType: 'Custom::McpManifestSync',
      ResourceProperties: { ServiceToken: 'x', CodeHash: 'abc' },
    };
    if (requestType === 'Create') return { ...common, RequestType: 'Create' };
    if (requestType === 'Update') {
      return {
        ...common,
        RequestType: 'Update',
        PhysicalResourceId: physicalId,
        OldResourceProperties: { ServiceToken: 'x', CodeHash: 'old' },
      };
    }
    return { ...common, RequestType: 'Delete', PhysicalResourceId: physicalId };
  };

  const newTable = async () => {
    const name = `registry-${randomUUID()}`;
    await ensureRegistryTable(client, name);
    return name;
  };

  const registryItems = async (tableName: string) =>
    (
      await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'TOOL' } },
        }),
      )
    ).Items ?? [];
  /** Tool manifests (resources' and prompts' share the partition, keyed `resource:<name>` and `prompt:<name>`). */
  const toolItems = async (tableName: string) =>
    (await registryItems(tableName)).filter((item) => !item.SK?.S?.includes(':'));
  const itemCount = toolModules.length + resourceModules.length + promptModules.length;

  before(async () => {
    dynamo = await startDynamoDb();
    client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    cloudFormation = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(body) });
        res.end();
      });
    });
    await new Promise<void>((resolve) => cloudFormation.listen(0, '127.0.0.1', resolve));
    responseUrl = `http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}/response?X-Amz-Signature=x`;
  });

  after(async () => {
    client.destroy();
    await dynamo.close();
    await new Promise((resolve) => cloudFormation.close(resolve));
  });

  it('writes a manifest for every tool folder on Create and answers SUCCESS to CloudFormation', async () => {
    const tableName = await newTable();
    const before = received.length;
    const response = await handlerFor(tableName)(event('Create'), context);

    assert.equal(received.length, before + 1, 'one PUT to the response URL');
    const answer = received.at(-1)!;
    assert.deepEqual(answer.body, response);
    assert.equal(answer.headers['content-type'], '', 'no content type: the pre-signed URL does not sign one');
    assert.equal(response.Status, 'SUCCESS');
    assert.equal(response.PhysicalResourceId, `manifest-sync/${tableName}`);
    assert.deepEqual(response.Data, { Created: itemCount, Updated: 0, Unchanged: 0, Removed: 0, Shadowed: 0 });
    const names = (await toolItems(tableName)).map((item) => item.SK?.S).sort();
    assert.deepEqual(names, toolModules.map((m) => m.tool.name).sort());
    const items = (await registryItems(tableName)).map((item) => item.SK?.S).filter((sk) => sk?.includes(':'));
    assert.deepEqual(
      items.sort(),
      [
        ...resourceModules.map((m) => `resource:${m.resource.name}`),
        ...promptModules.map((m) => `prompt:${m.prompt.name}`),
      ].sort(),
    );
  });

  it('keeps operator policy on Update and changes nothing when the tools did not change', async () => {
    const tableName = await newTable();
    await handlerFor(tableName)(event('Create'), context);
    const tool = toolModules[0]!.tool.name;
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { PK: { S: 'TOOL' }, SK: { S: tool } },
        UpdateExpression: 'SET enabled = :false',
        ExpressionAttributeValues: { ':false': { BOOL: false } },
      }),
    );

    const response = await handlerFor(tableName)(event('Update', `manifest-sync/${tableName}`), context);

    assert.equal(response.Status, 'SUCCESS');
    assert.deepEqual(response.Data, { Created: 0, Updated: 0, Unchanged: itemCount, Removed: 0, Shadowed: 0 });
    const item = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { PK: { S: 'TOOL' }, SK: { S: tool } } }),
    );
    assert.equal(item.Item?.enabled?.BOOL, false, 'the operator disabled it; the deploy keeps it disabled');
  });

  it('leaves the registry alone on Delete and keeps the physical id', async () => {
    const tableName = await newTable();
    await handlerFor(tableName)(event('Create'), context);

    const response = await handlerFor(tableName)(event('Delete', `manifest-sync/${tableName}`), context);

    assert.equal(response.Status, 'SUCCESS');
    assert.equal(response.PhysicalResourceId, `manifest-sync/${tableName}`);
    assert.equal((await toolItems(tableName)).length, toolModules.length);
  });

  it('answers FAILED, naming the error class but not the table, when the table does not exist', async () => {
    const response = await handlerFor('no-such-table-4b1d')(event('Create'), context);
    assert.equal(response.Status, 'FAILED');
    assert.match(response.Reason ?? '', /ResourceNotFoundException/);
    assert.doesNotMatch(response.Reason ?? '', /no-such-table/);
    assert.ok(response.PhysicalResourceId, 'a failed Create still carries a physical id');
  });

  it('answers FAILED when REGISTRY_TABLE_NAME is not set', async () => {
    const response = await handlerFor(undefined)(event('Update'), context);
    assert.equal(response.Status, 'FAILED');
    assert.match(response.Reason ?? '', /configuration invalid: REGISTRY_TABLE_NAME/);
    assert.equal(response.PhysicalResourceId, 'manifest-sync/previous');
  });

  it('answers FAILED with the problems when a tool folder is invalid', async () => {
    const tableName = await newTable();
    const handler = createManifestSyncHandler({
      client,
      env: { REGISTRY_TABLE_NAME: tableName },
      logger,
      tools: () => {
        throw new Error('Invalid tools:\n  functions/tools/x/tool.ts must "export default defineTool({...})"');
      },
    });
    const response = await handler(event('Create'), context);
    assert.equal(response.Status, 'FAILED');
    assert.match(response.Reason ?? '', /functions\/tools\/x\/tool.ts/);
  });

  it('answers FAILED before the function times out when DynamoDB does not answer', async () => {
    // A DynamoDB endpoint that accepts requests and never answers them.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const hanging = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    try {
      const handler = createManifestSyncHandler({
        client: hanging,
        env: { REGISTRY_TABLE_NAME: 'registry' },
        logger,
        marginMs: 1_000,
      });
      const started = Date.now();
      const response = await handler(event('Create'), { getRemainingTimeInMillis: () => 1_200 });
      assert.ok(Date.now() - started < 1_000, 'answered within the time left minus the margin');
      assert.equal(response.Status, 'FAILED');
      assert.match(response.Reason ?? '', /TimeoutError/);
    } finally {
      hanging.destroy();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
