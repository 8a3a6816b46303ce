import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { TableRef } from './items.js';

/**
 * Rate-limit counters in the audit table (beside the records of audit-records.ts), expiring through its TTL:
 *
 * | item         | PK                 | SK                                | attributes      |
 * |--------------|--------------------|-----------------------------------|-----------------|
 * | rate counter | `RATE#<subject>`   | `W#<window start, epoch seconds>` | count, expiresAt |
 */
export interface RateCounterStore {
  /**
   * Counts one call in a subject's window unless the window already holds `limit`: one conditional atomic `ADD`, so
   * the count is exact whichever instance answers. False when the window is full (nothing is counted).
   */
  increment(subject: string, window: { start: number; limit: number; expiresAt: number }): Promise<boolean>;
}

export function createRateCounterStore({ client, tableName }: TableRef): RateCounterStore {
  return {
    async increment(subject, window) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { PK: { S: `RATE#${subject}` }, SK: { S: `W#${window.start}` } },
            UpdateExpression: 'ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expires)',
            ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: {
              ':one': { N: '1' },
              ':limit': { N: String(window.limit) },
              ':expires': { N: String(window.expiresAt) },
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}
