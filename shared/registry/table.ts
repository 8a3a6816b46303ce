import { z } from 'zod';

/**
 * The registry table (single-table design, on-demand):
 *
 * | item        | PK                 | SK        | attributes                                                            |
 * |-------------|--------------------|-----------|-----------------------------------------------------------------------|
 * | tool        | `TOOL`             | tool name | source, codeHash, defaultScopes, version; policy: enabled?, scopes?,   |
 * |             |                    |           | description?, secrets?                                                |
 * | API key     | `APIKEY#<sha256>`  | `APIKEY`  | keyId, agentId, tenant, scopes, createdAt, expiresAt?, revokedAt?     |
 *
 * All manifests share one partition so an instance reads the whole registry with one Query.
 */
export const TOOL_PARTITION = 'TOOL';
export const API_KEY_SORT_KEY = 'APIKEY';

export const apiKeyPartition = (keyHash: string) => `APIKEY#${keyHash}`;

const scopeList = z.array(z.string().min(1));

/** Runtime policy for one tool. Code owns schema and behaviour; the manifest owns everything operators change. */
export const toolManifestSchema = z.object({
  PK: z.literal(TOOL_PARTITION),
  SK: z.string().min(1),
  /** `code`: a folder under functions/tools; written by the deploy-time sync. */
  source: z.enum(['code']),
  /** Policy, owned by operators: absent means enabled. */
  enabled: z.boolean().default(true),
  /** Policy: scopes a caller needs (all of them). Absent means the code's `scopes`. */
  scopes: scopeList.optional(),
  /** Written by the sync: the code's default scopes, for operators' tooling. */
  defaultScopes: scopeList.optional(),
  defaultDescription: z.string().optional(),
  /** Policy: replaces the code's description when set. */
  description: z.string().min(1).optional(),
  /** Policy: rebinds a secret binding to another secret name: `{ weather: 'weather-api-eu' }`. */
  secrets: z.record(z.string(), z.string().min(1)).optional(),
  /** Bumped on every change to the item. */
  version: z.number().int().nonnegative().default(1),
  /** Digest of the code's schema and description, written by the sync; changes when a deploy changes the tool. */
  codeHash: z.string().optional(),
  updatedAt: z.string().optional(),
});

export type ToolManifest = z.infer<typeof toolManifestSchema>;

export const apiKeyItemSchema = z.object({
  PK: z.string().startsWith('APIKEY#'),
  SK: z.literal(API_KEY_SORT_KEY),
  keyId: z.string().min(1),
  agentId: z.string().min(1),
  tenant: z.string().min(1).default('default'),
  scopes: scopeList,
  createdAt: z.iso.datetime(),
  /** ISO-8601; the key is refused from then on. A malformed date makes the whole item invalid (refused). */
  expiresAt: z.iso.datetime().optional(),
  /** ISO-8601; set when the key is revoked. */
  revokedAt: z.iso.datetime().optional(),
  description: z.string().optional(),
});

export type ApiKeyItem = z.infer<typeof apiKeyItemSchema>;
