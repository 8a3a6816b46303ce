import { z } from 'zod';
import type { HttpToolSpec } from '../http-tools/spec.js';

/**
 * The registry table (single-table design, on-demand):
 *
 * | item        | PK                 | SK        | attributes                                                            |
 * |-------------|--------------------|-----------|-----------------------------------------------------------------------|
 * | tool        | `TOOL`             | tool name | source, codeHash, defaultScopes, version; policy: enabled?, scopes?,   |
 * |             |                    |           | description?, secrets?; HTTP tools: http (see http-tool-spec.ts)     |
 * | API key     | `APIKEY#<sha256>`  | `APIKEY`  | keyId, agentId, tenant, scopes, createdAt, expiresAt?, revokedAt?     |
 *
 * All manifests share one partition so an instance reads the whole registry with one Query.
 */
export const TOOL_PARTITION = 'TOOL';
export const API_KEY_SORT_KEY = 'APIKEY';

export const apiKeyPartition = (keyHash: string) => `APIKEY#${keyHash}`;

const scopeList = z.array(z.string().min(1));

/** `limit` calls per `windowSeconds`, counted per agent (per tool on a manifest, across all tools on an API key). */
export const rateLimitSchema = z.object({
  limit: z.number().int().positive(),
  windowSeconds: z.number().int().positive().max(86_400),
});

export type RateLimit = z.infer<typeof rateLimitSchema>;

const WINDOW_UNITS: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hour: 3600,
  d: 86_400,
  day: 86_400,
};

/** Parses `10/min`, `100/h`, `5/30s` into a rate limit; throws with a readable message otherwise. */
export function parseRateLimit(text: string): RateLimit {
  const match = /^\s*(\d+)\s*\/\s*(\d*)\s*([a-z]+)\s*$/i.exec(text);
  const unit = match
    ? (WINDOW_UNITS[match[3]!.toLowerCase().replace(/s$/, '')] ?? WINDOW_UNITS[match[3]!.toLowerCase()])
    : undefined;
  if (!match || unit === undefined) {
    throw new Error(`Invalid rate limit "${text}": use CALLS/WINDOW, e.g. 10/min, 100/h, 5/30s`);
  }
  return rateLimitSchema.parse({ limit: Number(match[1]), windowSeconds: (match[2] ? Number(match[2]) : 1) * unit });
}

export function formatRateLimit(limit: RateLimit): string {
  const { windowSeconds: w } = limit;
  const window =
    w % 86_400 === 0
      ? `${w / 86_400 === 1 ? '' : w / 86_400}d`
      : w % 3600 === 0
        ? `${w / 3600 === 1 ? '' : w / 3600}h`
        : w % 60 === 0
          ? `${w / 60 === 1 ? '' : w / 60}min`
          : `${w === 1 ? '' : w}s`;
  return `${limit.limit}/${window}`;
}

/** Runtime policy for one tool. Code owns schema and behaviour; the manifest owns everything operators change. */
export const toolManifestSchema = z
  .object({
    PK: z.literal(TOOL_PARTITION),
    SK: z.string().min(1),
    /**
     * `code`: a folder under functions/tools; written by the deploy-time sync.
     * `http`: a manifest-only tool wrapping an HTTP API (`http` holds its schema and request); written by operators.
     */
    source: z.enum(['code', 'http']),
    /**
     * For `source: 'http'`: the tool's schema, request, auth and response handling. Only its shape (an object) is
     * checked here; `checkedToolManifestSchema` (http-tool-spec.ts) checks the spec itself, and so does the HTTP-tool
     * runtime, which is loaded only when the registry holds an HTTP tool: an instance serving code tools never builds
     * the spec's schemas.
     */
    http: z
      .custom<HttpToolSpec>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
        message: 'must be an object',
      })
      .optional(),
    /** Policy, owned by operators: absent means enabled. */
    enabled: z.boolean().default(true),
    /** Policy: scopes a caller needs (all of them). Absent means the code's `scopes`. */
    scopes: scopeList.optional(),
    /** Written by the sync: the code's default scopes, for operators' tooling. */
    defaultScopes: scopeList.optional(),
    defaultDescription: z.string().optional(),
    /** Policy: replaces the code's description when set. */
    description: z.string().min(1).optional(),
    /** Policy: calls per agent per window for this tool. Absent means unlimited (and no counter is touched). */
    rateLimit: rateLimitSchema.optional(),
    /** Policy: rebinds a secret binding to another secret name: `{ weather: 'weather-api-eu' }`. */
    secrets: z.record(z.string(), z.string().min(1)).optional(),
    /** Bumped on every change to the item. */
    version: z.number().int().nonnegative().default(1),
    /** Digest of the code's schema and description, written by the sync; changes when a deploy changes the tool. */
    codeHash: z.string().optional(),
    updatedAt: z.string().optional(),
  })
  .superRefine((manifest, ctx) => {
    if (manifest.source === 'http') {
      if (!manifest.http)
        ctx.addIssue({ code: 'custom', path: ['http'], message: 'an HTTP tool needs its `http` spec' });
      if (!manifest.description)
        ctx.addIssue({ code: 'custom', path: ['description'], message: 'an HTTP tool needs a description' });
    } else if (manifest.http) {
      ctx.addIssue({ code: 'custom', path: ['http'], message: 'only `source: http` tools carry an `http` spec' });
    }
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
  /** Calls per window for this agent across all tools. */
  rateLimit: rateLimitSchema.optional(),
});

export type ApiKeyItem = z.infer<typeof apiKeyItemSchema>;
