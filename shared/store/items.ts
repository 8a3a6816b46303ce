import { z } from 'zod';

/** Item fields more than one store holds. */

export const scopeListSchema = z.array(z.string().min(1));

/** `limit` calls per `windowSeconds`, counted per agent (per tool on a manifest, across all tools on an API key). */
export const rateLimitSchema = z.object({
  limit: z.number().int().positive(),
  windowSeconds: z.number().int().positive().max(86_400),
});

export type RateLimit = z.infer<typeof rateLimitSchema>;

/** A table and a client for it: what a store is made from. */
export interface TableRef {
  client: import('@aws-sdk/client-dynamodb').DynamoDBClient;
  tableName: string;
}
