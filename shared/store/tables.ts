import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { TableSchema } from './table-schemas.js';

/**
 * Creates a table from its schema (on-demand) unless it exists, and waits until it is ACTIVE: the local cluster and
 * the tests make their tables so. TTL is not set (the local DynamoDB has none); the deployed tables have it.
 *
 * A table kept from an earlier version that lacks an index of the schema is rebuilt with its items (the local
 * DynamoDB cannot add an index to a table; a deployed table gets it from CloudFormation).
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, schema: TableSchema): Promise<void> {
  const existing = await describe(client, tableName);
  let items: Record<string, AttributeValue>[] = [];
  if (existing) {
    const indexes = new Set((existing.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    if (schema.indexes.some((index) => !indexes.has(index.name))) {
      await waitActive(client, tableName);
      items = await scanAll(client, tableName);
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      for (let attempt = 0; attempt < 100 && (await tableStatus(client, tableName)); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
  if (!(await tableStatus(client, tableName))) {
    const keys = [schema.partitionKey, schema.sortKey, ...schema.indexes.flatMap((i) => [i.partitionKey, i.sortKey])];
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...new Set(keys)].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: schema.partitionKey, KeyType: 'HASH' },
          { AttributeName: schema.sortKey, KeyType: 'RANGE' },
        ],
        ...(schema.indexes.length
          ? {
              GlobalSecondaryIndexes: schema.indexes.map((index) => ({
                IndexName: index.name,
                KeySchema: [
                  { AttributeName: index.partitionKey, KeyType: 'HASH' },
                  { AttributeName: index.sortKey, KeyType: 'RANGE' },
                ],
                Projection: { ProjectionType: 'ALL' },
              })),
            }
          : {}),
      }),
    );
  }
  await waitActive(client, tableName);
  for (let i = 0; i < items.length; i += 25) {
    let pending = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (pending.length > 0) {
      const output = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = (output.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    }
  }
}

/** A table answers reads only once ACTIVE (dynalite, like DynamoDB, reports CREATING first). */
async function waitActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await tableStatus(client, tableName)) === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

async function scanAll(client: DynamoDBClient, tableName: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

async function describe(client: DynamoDBClient, tableName: string) {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  const table = await describe(client, tableName);
  return table ? (table.TableStatus ?? 'UNKNOWN') : undefined;
}
