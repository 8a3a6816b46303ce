/**
 * The admin API's wire format, shared by its server (admin-server.ts) and its client (admin-api-client.ts):
 *
 *   POST /admin   Authorization: Bearer <tenant admin key>
 *   { "operation": "keys.list", "input": { ... } }
 *   200 { "result": ... }              what the AdminApi method answers
 *   4xx { "error": { "code", "message", "issues"? } }   an AdminError (its code), or a refused request
 *
 * Each operation is one AdminApi method; its input is checked with the schema below before anything runs.
 */
import { z } from 'zod';
import { httpToolSpecSchema } from '../http-tools/spec.js';
import { API_KEY_ROLES } from '../store/api-keys.js';
import { idempotencySettingsSchema, rateLimitSchema } from '../store/items.js';
import type { AdminApi } from './admin-api.js';
import type { AdminErrorCode } from './admin-error.js';

const name = z.string().min(1).max(1024);
const kind = z.enum(['tool', 'resource', 'prompt']);
const scopes = z.array(z.string()).max(256);
/** Whose own tools (absent: the shared ones, or a tenant admin's own). */
const tenant = name.optional();

const httpToolInput = z.strictObject({
  name,
  description: z.string(),
  http: httpToolSpecSchema,
  scopes: scopes.optional(),
  rateLimit: rateLimitSchema.optional(),
  enabled: z.boolean().optional(),
});

/** Operation name → the AdminApi method it calls and the schema of its input. */
export const ADMIN_OPERATIONS = {
  'keys.create': {
    method: 'createKey',
    input: z.strictObject({
      agentId: name,
      scopes: scopes.optional(),
      tenant: name.optional(),
      role: z.enum(API_KEY_ROLES).optional(),
      expiresAt: z.iso.datetime().optional(),
      rateLimit: rateLimitSchema.optional(),
      description: z.string().max(1024).optional(),
    }),
  },
  'keys.list': { method: 'listKeys', input: z.strictObject({}) },
  'keys.revoke': { method: 'revokeKey', input: z.strictObject({ keyId: name }) },
  'tools.list': { method: 'listItems', input: z.strictObject({ kind, tenant }) },
  'tools.show': { method: 'showTool', input: z.strictObject({ name, tenant }) },
  'tools.setEnabled': { method: 'setEnabled', input: z.strictObject({ kind, name, enabled: z.boolean(), tenant }) },
  'tools.update': {
    method: 'updatePolicy',
    input: z.strictObject({
      kind,
      name,
      tenant,
      update: z.strictObject({
        scopes: scopes.nullable().optional(),
        rateLimit: rateLimitSchema.nullable().optional(),
        description: z.string().nullable().optional(),
        idempotency: idempotencySettingsSchema.nullable().optional(),
        tenants: z.array(name).max(1000).nullable().optional(),
        secretFallback: z.boolean().nullable().optional(),
      }),
    }),
  },
  'tools.putHttp': { method: 'putHttpTool', input: z.strictObject({ tool: httpToolInput, tenant }) },
  'tools.remove': { method: 'removeHttpTool', input: z.strictObject({ name, tenant }) },
  'openapi.import': {
    method: 'importOpenApi',
    input: z.strictObject({
      imported: z.object({
        importedFrom: name,
        tools: z.array(z.object({ name, description: z.string(), http: httpToolSpecSchema })).max(1000),
        allNames: z.array(z.string()).max(10_000),
        warnings: z.array(z.string()).max(10_000),
      }),
      scopes: scopes.optional(),
      prune: z.boolean().optional(),
      dryRun: z.boolean().optional(),
      tenant,
    }),
  },
  // The value is checked (empty, too large) by the operation itself, whose messages never repeat it.
  'secrets.put': { method: 'putSecret', input: z.strictObject({ name, value: z.string() }) },
  'secrets.state': { method: 'secretState', input: z.strictObject({ name }) },
  'audit.query': {
    method: 'searchAudit',
    input: z.strictObject({
      agentId: name.optional(),
      tool: name.optional(),
      tenant: name.optional(),
      since: z.string().min(1),
      until: z.string().min(1).optional(),
      limit: z.number().int().positive().max(10_000).optional(),
    }),
  },
  'tenants.list': { method: 'listTenants', input: z.strictObject({}) },
  'tenants.show': { method: 'showTenant', input: z.strictObject({ tenant: name }) },
  'tenants.update': {
    method: 'updateTenant',
    input: z.strictObject({
      tenant: name,
      update: z.strictObject({
        description: z.string().max(1024).nullable().optional(),
        rateLimit: rateLimitSchema.nullable().optional(),
        grantableScopes: scopes.nullable().optional(),
      }),
    }),
  },
} as const satisfies Record<string, { method: keyof AdminApi; input: z.ZodType }>;

export type AdminOperationName = keyof typeof ADMIN_OPERATIONS;

export const ADMIN_OPERATION_NAMES = Object.keys(ADMIN_OPERATIONS) as AdminOperationName[];

/** The operation that calls an AdminApi method (what the remote client sends). */
export const OPERATION_OF = Object.fromEntries(
  Object.entries(ADMIN_OPERATIONS).map(([operation, { method }]) => [method, operation]),
) as Record<keyof AdminApi, AdminOperationName>;

/** The HTTP status of each AdminError: every code has one (the compiler says when a new code lacks it). */
export const ADMIN_ERROR_STATUS: Record<AdminErrorCode, 400 | 403 | 404 | 409> = {
  INVALID_INPUT: 400,
  INVALID_SPEC: 400,
  INVALID_MANIFEST: 400,
  NO_OPERATIONS: 400,
  NOTHING_TO_UPDATE: 400,
  ADMIN_FORBIDDEN: 403,
  KEY_NOT_FOUND: 404,
  TOOL_NOT_FOUND: 404,
  KEY_ALREADY_REVOKED: 409,
  TOOL_CONFLICT: 409,
  CODE_TOOL: 409,
  CONCURRENT_CHANGE: 409,
  SECRET_NOT_WRITABLE: 409,
};

export const isAdminErrorCode = (code: unknown): code is AdminErrorCode =>
  typeof code === 'string' && Object.hasOwn(ADMIN_ERROR_STATUS, code);

/** What a refused request answers: `{ error: { code, message, issues? } }`. */
export interface AdminErrorBody {
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
}
