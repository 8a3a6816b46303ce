/**
 * The admin API: `POST /admin` with `{ operation, input }` (admin-operations.ts), authenticated by a tenant admin key
 * and run by the direct AdminApi in that tenant's scope. Answers are JSON; no answer or log line carries a stack trace,
 * an ARN, a table name, a key or a secret value (request bodies are never logged; failures are logged by name only).
 */
import { API_KEY_PREFIX, type ApiKeyVerifier } from '../auth/api-keys.js';
import { bearerTokenOf } from '../auth/authenticate.js';
import type { Principal } from '../auth/principal.js';
import { AuthError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { DEFAULT_TENANT, isTenantId } from '../tenants/tenants.js';
import { type AdminApi, type AdminScope, type AdminTargets, createDirectAdminApi } from './admin-api.js';
import {
  ADMIN_ERROR_STATUS,
  ADMIN_OPERATION_NAMES,
  ADMIN_OPERATIONS,
  type AdminErrorBody,
  type AdminOperationName,
  isAdminErrorCode,
} from './admin-operations.js';

/** What the admin API reads of a request: the MCP endpoint's request (`fromApiGatewayEvent`) is one. */
export interface AdminRequest {
  method: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  body: string | undefined;
  requestId: string;
}

export interface AdminResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface AdminServerOptions {
  targets: AdminTargets;
  /** A verifier of tenant admin keys (`createApiKeyVerifier({ role: 'tenant-admin', ... })`). */
  apiKeys: ApiKeyVerifier;
  logger: Logger;
  /** @default 5 MiB (an OpenAPI import of many operations is the largest request) */
  maxBodyBytes?: number;
  now?: () => Date;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

const answer = (statusCode: number, body: unknown, headers: Record<string, string> = {}): AdminResponse => ({
  statusCode,
  headers: { ...JSON_HEADERS, ...headers },
  body: JSON.stringify(body),
});

const refuse = (
  statusCode: number,
  code: string,
  message: string,
  extra: { issues?: AdminErrorBody['error']['issues']; headers?: Record<string, string> } = {},
) =>
  answer(
    statusCode,
    { error: { code, message, ...(extra.issues ? { issues: extra.issues } : {}) } } satisfies AdminErrorBody,
    extra.headers,
  );

/** Who may call: a tenant admin key of a tenant that has a scope of its own (never the platform's `default`). */
async function authenticate(apiKeys: ApiKeyVerifier, header: string | undefined): Promise<Principal> {
  if (!header) {
    throw new AuthError('invalid_request', 'Authentication required: send "Authorization: Bearer <tenant admin key>".');
  }
  const token = bearerTokenOf(header);
  if (!token) throw new AuthError('invalid_request', 'The Authorization header must be "Bearer <tenant admin key>".');
  if (!token.startsWith(API_KEY_PREFIX)) {
    throw new AuthError('invalid_token', 'The admin API takes a tenant admin key (mcpk_…), not an access token.');
  }
  const principal = await apiKeys.verify(token);
  if (principal.tenant === DEFAULT_TENANT || !isTenantId(principal.tenant)) {
    throw new AuthError('insufficient_scope', 'This key administers no tenant.');
  }
  return principal;
}

/** Input issues as `input.field: why`, never with the values given. */
function issuesOf(issues: readonly { path: readonly PropertyKey[]; message: string }[], root: string) {
  return issues.map((issue) => ({
    path: [root, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

export function createAdminServer(options: AdminServerOptions): (request: AdminRequest) => Promise<AdminResponse> {
  const maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;
  const { logger } = options;
  const apis = new Map<string, AdminApi>();
  const apiFor = (scope: AdminScope & { kind: 'tenant' }) => {
    let api = apis.get(scope.tenant);
    if (!api) {
      api = createDirectAdminApi(options.targets, scope, options.now ? { now: options.now } : {});
      apis.set(scope.tenant, api);
    }
    return api;
  };

  return async (request) => {
    const started = Date.now();
    const { requestId } = request;
    const done = (response: AdminResponse, fields: Record<string, unknown>) => {
      logger.info('admin request', { requestId, status: response.statusCode, ...fields, ms: Date.now() - started });
      return response;
    };
    if (request.method !== 'POST') {
      return done(
        refuse(405, 'METHOD_NOT_ALLOWED', 'The admin API takes POST only.', { headers: { allow: 'POST' } }),
        {},
      );
    }
    if (request.body !== undefined && Buffer.byteLength(request.body, 'utf8') > maxBodyBytes) {
      return done(refuse(413, 'BODY_TOO_LARGE', `The request body is larger than ${maxBodyBytes} bytes.`), {});
    }

    let principal: Principal;
    try {
      principal = await authenticate(options.apiKeys, request.headers.authorization);
    } catch (error) {
      if (error instanceof AuthError) {
        const headers: Record<string, string> =
          error.status === 401 ? { 'www-authenticate': 'Bearer realm="mcp-cluster-admin"' } : {};
        return done(refuse(error.status, error.code, error.message, { headers }), { refused: error.code });
      }
      logger.error('admin authentication failed unexpectedly', { requestId, errorName: nameOf(error) });
      return done(refuse(503, 'UNAVAILABLE', `Authentication is temporarily unavailable; retry shortly.`), {});
    }
    const tenant = principal.tenant;
    const who = { tenant, credentialId: principal.credentialId };

    let envelope: { operation?: unknown; input?: unknown };
    try {
      const parsed: unknown = JSON.parse(request.body ?? '');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      envelope = parsed as typeof envelope;
    } catch {
      return done(refuse(400, 'INVALID_REQUEST', 'The body must be a JSON object: { "operation", "input" }.'), who);
    }
    const operation = envelope.operation;
    if (typeof operation !== 'string' || !Object.hasOwn(ADMIN_OPERATIONS, operation)) {
      return done(
        refuse(400, 'INVALID_REQUEST', `"operation" must be one of: ${ADMIN_OPERATION_NAMES.join(', ')}.`),
        who,
      );
    }
    const spec = ADMIN_OPERATIONS[operation as AdminOperationName];
    const input = spec.input.safeParse(envelope.input ?? {});
    if (!input.success) {
      const issues = issuesOf(input.error.issues, 'input');
      const message = `Invalid input for ${operation}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`;
      return done(refuse(400, 'INVALID_INPUT', message, { issues }), { ...who, operation, code: 'INVALID_INPUT' });
    }

    const api = apiFor({ kind: 'tenant', tenant });
    try {
      const method = api[spec.method] as (input: unknown) => Promise<unknown>;
      const result = await method.call(api, input.data);
      return done(answer(200, { result }), { ...who, operation });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (error instanceof Error && isAdminErrorCode(code)) {
        return done(refuse(ADMIN_ERROR_STATUS[code], code, error.message), { ...who, operation, code });
      }
      // By name only: an AWS error's message may name an ARN or a table.
      logger.error('admin operation failed', { requestId, ...who, operation, errorName: nameOf(error) });
      return done(
        refuse(500, 'INTERNAL', `The admin API could not complete ${operation} (request id ${requestId}).`),
        who,
      );
    }
  };
}

const nameOf = (error: unknown) => (error instanceof Error ? error.name : typeof error);
