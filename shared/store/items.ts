import { z } from 'zod';

/** Item fields more than one store holds. */

export const scopeListSchema = z.array(z.string().min(1));

/** `limit` calls per `windowSeconds`, counted per agent (per tool on a manifest, across all tools on an API key). */
export const rateLimitSchema = z.object({
  limit: z.number().int().positive(),
  windowSeconds: z.number().int().positive().max(86_400),
});

export type RateLimit = z.infer<typeof rateLimitSchema>;

/**
 * Whether calls of a tool are protected against duplicates, and for how long (seconds): `ttl` for a key the client
 * sent, `window` for repeats without one. Absent fields fall back to the code's, then to the cluster's defaults.
 */
export const idempotencySettingsSchema = z.object({
  enabled: z.boolean().optional(),
  ttl: z
    .number()
    .int()
    .positive()
    .max(7 * 86_400)
    .optional(),
  window: z.number().int().positive().max(86_400).optional(),
});

export type IdempotencySettings = z.infer<typeof idempotencySettingsSchema>;

/** A table and a client for it: what a store is made from. */
export interface TableRef {
  client: import('@aws-sdk/client-dynamodb').DynamoDBClient;
  tableName: string;
}
