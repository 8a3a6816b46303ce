import { type DynamoDBClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Logger } from '../logging/logger.js';
import { TOOL_PARTITION, type ToolManifest, toolManifestSchema } from './table.js';

export interface ManifestStore {
  /** Every tool manifest, keyed by tool name. */
  loadAll(): Promise<Map<string, ToolManifest>>;
}

/** Reads all manifests with one (paginated) strongly consistent Query on the `TOOL` partition. */
export function createManifestStore(options: {
  client: DynamoDBClient;
  tableName: string;
  logger: Logger;
}): ManifestStore {
  const { client, tableName, logger } = options;
  return {
    async loadAll() {
      const manifests = new Map<string, ToolManifest>();
      let startKey: QueryCommandOutput['LastEvaluatedKey'];
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': { S: TOOL_PARTITION } },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const raw of page.Items ?? []) {
          const parsed = toolManifestSchema.safeParse(unmarshall(raw));
          if (parsed.success) manifests.set(parsed.data.SK, parsed.data);
          else
            logger.warn('skipping malformed tool manifest', { tool: String(raw.SK?.S), issues: parsed.error.issues });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return manifests;
    },
  };
}
