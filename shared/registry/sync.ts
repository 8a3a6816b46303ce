import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ToolDefinition } from '../tools/define-tool.js';
import { TOOL_PARTITION } from './table.js';

export interface SyncResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  removed: string[];
  /**
   * Code tools whose name an HTTP tool's manifest already holds: the code tool is served (code wins) with its code's
   * defaults, and the HTTP tool is not, until one of them is renamed or the HTTP tool removed.
   */
  shadowed: string[];
}

/** Digest of everything the code owns about a tool; a deploy that changes any of it bumps the manifest's version. */
export function codeHash(tool: ToolDefinition): string {
  const owned = {
    title: tool.title,
    description: tool.description,
    input: tool.inputJsonSchema,
    output: tool.outputJsonSchema,
    annotations: tool.annotations,
    scopes: tool.scopes,
    secrets: tool.secrets,
    timeoutMs: tool.timeoutMs,
  };
  return createHash('sha256').update(JSON.stringify(owned)).digest('hex').slice(0, 32);
}

/**
 * Makes the registry's code-tool manifests match the code, idempotently. It writes only what code owns
 * (`source`, `codeHash`, `defaultScopes`, `defaultDescription`) and never the policy operators own (`enabled`,
 * `scopes`, `description`, `secrets`, rate limits), so a redeploy keeps their changes. Tools gone from code are deleted.
 * Manifests of other sources (`source: 'http'`) are never written or deleted, even when a code tool shares the name.
 */
export async function syncCodeManifests(
  options: { client: DynamoDBClient; tableName: string },
  tools: readonly ToolDefinition[],
  now: Date = new Date(),
): Promise<SyncResult> {
  const { client, tableName } = options;
  const result: SyncResult = { created: [], updated: [], unchanged: [], removed: [], shadowed: [] };
  const sources = await existingSources(client, tableName);
  const existing = new Set([...sources].filter(([, source]) => source === 'code').map(([name]) => name));

  for (const tool of tools) {
    const hash = codeHash(tool);
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { PK: { S: TOOL_PARTITION }, SK: { S: tool.name } },
          // Only code manifests (or items without a source) are the sync's: an HTTP tool of the same name is left alone.
          ConditionExpression:
            'attribute_not_exists(PK) OR attribute_not_exists(#source) OR ' +
            '(#source = :code AND (attribute_not_exists(codeHash) OR codeHash <> :hash))',
          UpdateExpression:
            'SET #source = :code, codeHash = :hash, defaultScopes = :scopes, defaultDescription = :description, ' +
            'updatedAt = :now, version = if_not_exists(version, :zero) + :one',
          ExpressionAttributeNames: { '#source': 'source' },
          ExpressionAttributeValues: {
            ':code': { S: 'code' },
            ':hash': { S: hash },
            ':scopes': { L: tool.scopes.map((scope) => ({ S: scope })) },
            ':description': { S: tool.description },
            ':now': { S: now.toISOString() },
            ':zero': { N: '0' },
            ':one': { N: '1' },
          },
        }),
      );
      (existing.has(tool.name) ? result.updated : result.created).push(tool.name);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const source = sources.get(tool.name);
      (source !== undefined && source !== 'code' ? result.shadowed : result.unchanged).push(tool.name);
    }
  }

  const names = new Set(tools.map((tool) => tool.name));
  for (const name of existing) {
    if (names.has(name)) continue;
    try {
      await client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key: { PK: { S: TOOL_PARTITION }, SK: { S: name } },
          ConditionExpression: '#source = :code',
          ExpressionAttributeNames: { '#source': 'source' },
          ExpressionAttributeValues: { ':code': { S: 'code' } },
        }),
      );
      result.removed.push(name);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  return result;
}

/** Every tool manifest's source, by name (`undefined` for an item without one). */
async function existingSources(client: DynamoDBClient, tableName: string): Promise<Map<string, string | undefined>> {
  const sources = new Map<string, string | undefined>();
  let startKey: QueryCommandOutput['LastEvaluatedKey'];
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk',
        ProjectionExpression: 'SK, #source',
        ExpressionAttributeNames: { '#source': 'source' },
        ExpressionAttributeValues: { ':pk': { S: TOOL_PARTITION } },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) if (item.SK?.S) sources.set(item.SK.S, item.source?.S);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return sources;
}
