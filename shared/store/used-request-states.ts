import { ConditionalCheckFailedException, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { TableRef } from './items.js';

/**
 * The `requestState`s of multi-round tool calls that were used once, in the audit table (beside its records and the
 * rate counters), kept until they would have expired anyway:
 *
 * | item       | PK                   | SK       | attributes |
 * |------------|----------------------|----------|------------|
 * | used state | `RSTATE#<state id>`  | `USED`   | expiresAt  |
 */
export interface UsedRequestStateStore {
  /** Marks a state used: one conditional put, so that whichever instance is first wins. False when it was used. */
  use(stateId: string, expiresAt: number): Promise<boolean>;
}

export function createUsedRequestStateStore({ client, tableName }: TableRef): UsedRequestStateStore {
  return {
    async use(stateId, expiresAt) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { PK: { S: `RSTATE#${stateId}` }, SK: { S: 'USED' }, expiresAt: { N: String(expiresAt) } },
            ConditionExpression: 'attribute_not_exists(PK)',
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
