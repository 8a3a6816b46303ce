import { ConditionalCheckFailedException, type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { RateLimit } from '../registry/table.js';

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the current window ends (when a refused call may be retried). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Counts one call against `limit` for `subject` (e.g. `agent#tool`); refuses it once the window is full. */
  consume(subject: string, limit: RateLimit): Promise<RateDecision>;
}

/**
 * Fixed-window counters in DynamoDB: one conditional atomic `ADD` per call, so the limit is exact whichever instance
 * answers. Items expire through the table's TTL shortly after their window. Calls to tools without a limit never
 * reach this.
 */
export function createRateLimiter(options: {
  client: DynamoDBClient;
  tableName: string;
  now?: () => number;
}): RateLimiter {
  const now = options.now ?? Date.now;
  return {
    async consume(subject, limit) {
      const nowSeconds = now() / 1000;
      const windowStart = Math.floor(nowSeconds / limit.windowSeconds) * limit.windowSeconds;
      const windowEnd = windowStart + limit.windowSeconds;
      const retryAfterSeconds = Math.max(1, Math.ceil(windowEnd - nowSeconds));
      try {
        await options.client.send(
          new UpdateItemCommand({
            TableName: options.tableName,
            Key: { PK: { S: `RATE#${subject}` }, SK: { S: `W#${windowStart}` } },
            UpdateExpression: 'ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expires)',
            ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: {
              ':one': { N: '1' },
              ':limit': { N: String(limit.limit) },
              ':expires': { N: String(windowEnd + 60) },
            },
          }),
        );
        return { allowed: true, retryAfterSeconds: 0 };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { allowed: false, retryAfterSeconds };
        throw error;
      }
    },
  };
}
