import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
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

/**
 * The update of an item's policy: every attribute of `set` set (undefined ones skipped), every one of `remove`
 * removed, `version` bumped, `updatedAt` stamped, and with `stampCreated` `createdAt` set on first write.
 */
export function policyUpdate(
  change: { set: Readonly<Record<string, unknown>>; remove: readonly string[] },
  now: Date,
  options: { stampCreated?: boolean } = {},
): {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
} {
  const names: Record<string, string> = { '#version': 'version', '#updatedAt': 'updatedAt' };
  const values: Record<string, AttributeValue> = {
    ':zero': { N: '0' },
    ':one': { N: '1' },
    ':now': { S: now.toISOString() },
  };
  const sets = ['#version = if_not_exists(#version, :zero) + :one', '#updatedAt = :now'];
  if (options.stampCreated) {
    names['#createdAt'] = 'createdAt';
    sets.push('#createdAt = if_not_exists(#createdAt, :now)');
  }
  for (const [attribute, value] of Object.entries(change.set)) {
    if (value === undefined) continue;
    names[`#${attribute}`] = attribute;
    values[`:${attribute}`] = marshall({ value }, { removeUndefinedValues: true }).value!;
    sets.push(`#${attribute} = :${attribute}`);
  }
  for (const attribute of change.remove) names[`#${attribute}`] = attribute;
  const removes = change.remove.map((attribute) => `#${attribute}`);
  return {
    UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
