import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { AuditSink } from '../audit/audit.js';
import type { Authenticator } from '../auth/authenticate.js';
import { hasScopes, type Principal } from '../auth/principal.js';
import { errorCode } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { redactor as processRedactor, type Redactor } from '../logging/redactor.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import type { Registry } from '../registry/registry.js';
import type { RegistrySnapshot } from '../registry/snapshot.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { callTool, JsonRpcError } from './call-tool.js';
import type { HttpRequest, HttpResponse } from './http-types.js';
import {
  classifyMessage,
  errorResponse,
  type IncomingMessage,
  JsonRpcErrorCode,
  type JsonRpcId,
  type JsonRpcRequest,
} from './json-rpc.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from './protocol-versions.js';
import type { RequestTransport } from './request-transport.js';

export interface McpEndpointOptions {
  serverName: string;
  serverVersion: string;
  instructions?: string;
  maxBodyBytes: number;
  defaultToolTimeoutMs: number;
  /** Kept back from the function's deadline so a timed-out tool can still be answered. */
  deadlineMarginMs: number;
  /** Largest JSON-RPC batch accepted (protocol versions before 2025-06-18 allow batches). */
  maxBatchSize?: number;
  /** Seconds a client is told to wait when the registry is unavailable. */
  retryAfterSeconds?: number;
  authenticator: Authenticator;
  registry: Registry;
  secrets: SecretStore;
  audit: AuditSink;
  logger: Logger;
  /** Scrubs known secret values from every response; the process-wide one by default. */
  redactor?: Redactor;
  /** Counters for tools and keys that set a rate limit. */
  rateLimiter?: RateLimiter;
  /** The endpoint's public base URL (`PUBLIC_BASE_URL`); otherwise the one API Gateway reports for the request. */
  publicBaseUrl?: string;
  /** Authorization servers named in the protected-resource metadata (RFC 9728). */
  authorizationServers?: readonly string[];
  /** Scopes every caller needs; a valid credential without them gets 403 insufficient_scope. */
  requiredScopes?: readonly string[];
  /** Browser origins allowed (`*` for any); a request from another origin gets 403. @default none */
  allowedOrigins?: readonly string[];
  /** Tools per `tools/list` page. @default 100 */
  toolsPageSize?: number;
}

export type McpEndpoint = (request: HttpRequest) => Promise<HttpResponse>;

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

function rpcFailure(statusCode: number, code: number, message: string, headers?: Record<string, string>) {
  return json(statusCode, errorResponse(null, code, message), headers);
}

/** `application/json`, with or without parameters, case-insensitively. */
function isJsonMediaType(value: string | undefined): boolean {
  if (!value) return false;
  return value.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

/** The client must accept JSON: `application/json`, `application/*` or `*\/*` in its Accept list. */
function acceptsJson(accept: string): boolean {
  return accept
    .split(',')
    .map((part) => part.split(';', 1)[0]!.trim().toLowerCase())
    .some((type) => type === 'application/json' || type === 'application/*' || type === '*/*');
}

const quote = (value: string) => value.replace(/["\\]/g, '');

/** RFC 9728's well-known path; the metadata of the MCP endpoint is at `${base}${PROTECTED_RESOURCE_PATH}/mcp`. */
export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

/**
 * The MCP endpoint: Streamable HTTP, stateless, JSON responses only. Cheap rejections come first, before any I/O;
 * then authentication, with the registry read alongside it (only for `tools/*`).
 */
export function createMcpEndpoint(options: McpEndpointOptions): McpEndpoint {
  const maxBatchSize = options.maxBatchSize ?? 20;
  const retryAfter = String(options.retryAfterSeconds ?? 5);
  const serverInfo = { name: options.serverName, version: options.serverVersion };
  const redactor = options.redactor ?? processRedactor;

  const requiredScopes = options.requiredScopes ?? [];
  const allowedOrigins = options.allowedOrigins ?? [];
  const baseUrlOf = (request: HttpRequest) => (options.publicBaseUrl ?? request.baseUrl ?? '').replace(/\/+$/, '');
  const metadataUrlOf = (request: HttpRequest) => `${baseUrlOf(request)}${PROTECTED_RESOURCE_PATH}/mcp`;

  /** RFC 6750 + RFC 9728: where to find the metadata, which scopes to ask for, and what was wrong. */
  const unauthorized = (request: HttpRequest, status: 401 | 403, reason: string, message: string): HttpResponse => {
    const params = [`resource_metadata="${metadataUrlOf(request)}"`];
    if (requiredScopes.length) params.push(`scope="${quote(requiredScopes.join(' '))}"`);
    if (reason !== 'invalid_request') params.push(`error="${reason}"`, `error_description="${quote(message)}"`);
    return rpcFailure(status, JsonRpcErrorCode.InvalidRequest, message, {
      'www-authenticate': `Bearer ${params.join(', ')}`,
    });
  };

  /** The OAuth 2.0 Protected Resource Metadata (RFC 9728) for this endpoint: public, cacheable. */
  const protectedResourceMetadata = async (request: HttpRequest): Promise<HttpResponse> => {
    const scopes = new Set(requiredScopes);
    try {
      for (const tool of (await options.registry.snapshot()).tools())
        for (const scope of tool.scopes) scopes.add(scope);
    } catch {
      // the metadata is still useful without the tools' scopes
    }
    const body = {
      resource: `${baseUrlOf(request)}/mcp`,
      authorization_servers: options.authorizationServers ?? [],
      bearer_methods_supported: ['header'],
      scopes_supported: [...scopes].sort(),
      resource_name: options.serverName,
    };
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
      body: JSON.stringify(body),
    };
  };

  /** The MCP SDK's server, loaded with the first request that needs it (once per container; retried if it failed). */
  let sdkSessions: Promise<typeof import('./sdk-session.js')> | undefined;
  const loadSdkSessions = () => {
    sdkSessions ??= import('./sdk-session.js');
    sdkSessions.catch(() => {
      sdkSessions = undefined;
    });
    return sdkSessions;
  };

  return async function handle(request) {
    if (request.path.endsWith(PROTECTED_RESOURCE_PATH) || request.path.endsWith(`${PROTECTED_RESOURCE_PATH}/mcp`)) {
      if (request.method === 'GET' || request.method === 'HEAD') return protectedResourceMetadata(request);
      return rpcFailure(405, JsonRpcErrorCode.InvalidRequest, 'The protected-resource metadata is read with GET.', {
        allow: 'GET',
      });
    }
    // 1. Cheap rejections, before any I/O.
    const origin = request.headers['origin'];
    if (origin !== undefined && !allowedOrigins.includes('*') && !allowedOrigins.includes(origin)) {
      return rpcFailure(403, JsonRpcErrorCode.InvalidRequest, `Requests from the origin ${origin} are not allowed.`);
    }
    if (request.method !== 'POST') {
      return rpcFailure(
        405,
        JsonRpcErrorCode.InvalidRequest,
        `Method ${request.method} is not allowed: this endpoint is stateless and accepts POST only.`,
        {
          allow: 'POST',
        },
      );
    }
    const body = request.body ?? '';
    const size = Buffer.byteLength(body, 'utf8');
    if (size > options.maxBodyBytes) {
      return rpcFailure(
        413,
        JsonRpcErrorCode.InvalidRequest,
        `Request body is ${size} bytes; the limit is ${options.maxBodyBytes}.`,
      );
    }
    if (!isJsonMediaType(request.headers['content-type'])) {
      return rpcFailure(415, JsonRpcErrorCode.InvalidRequest, 'Content-Type must be application/json.');
    }
    const accept = request.headers['accept'];
    if (!accept || !acceptsJson(accept)) {
      return rpcFailure(
        406,
        JsonRpcErrorCode.InvalidRequest,
        'The Accept header must include application/json (and may include text/event-stream).',
      );
    }
    const protocolVersion = request.headers['mcp-protocol-version'];
    if (protocolVersion !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(protocolVersion)) {
      return rpcFailure(
        400,
        JsonRpcErrorCode.InvalidRequest,
        `Unsupported MCP-Protocol-Version "${protocolVersion}"; supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}.`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return rpcFailure(400, JsonRpcErrorCode.ParseError, 'Parse error: the request body is not valid JSON.');
    }
    const isBatch = Array.isArray(parsed);
    const raw: unknown[] = isBatch ? (parsed as unknown[]) : [parsed];
    if (isBatch && protocolVersion !== undefined && protocolVersion >= '2025-06-18') {
      return rpcFailure(
        400,
        JsonRpcErrorCode.InvalidRequest,
        `JSON-RPC batches are not part of protocol ${protocolVersion}; send one message per request.`,
      );
    }
    if (raw.length === 0 || raw.length > maxBatchSize) {
      return rpcFailure(400, JsonRpcErrorCode.InvalidRequest, `A batch must hold 1 to ${maxBatchSize} messages.`);
    }
    const messages = raw.map(classifyMessage);
    // The registry is read alongside authentication: on a cold instance each is a DynamoDB round trip, and the second
    // need not wait for the first. A refused caller costs at most the cached read (one per TTL per instance).
    const pendingSnapshot = messages.some((m) => m.kind === 'request' && m.message.method.startsWith('tools/'))
      ? options.registry.snapshot()
      : undefined;
    pendingSnapshot?.catch(() => undefined);

    // 2. Who is calling.
    let principal: Principal;
    try {
      principal = await options.authenticator.authenticate(request.headers);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') {
        const authError = error as { status: 401 | 403; reason: string; message: string };
        return unauthorized(request, authError.status, authError.reason, authError.message);
      }
      options.logger.error('authentication failed unexpectedly', {
        requestId: request.requestId,
        error: error as Error,
      });
      return rpcFailure(
        503,
        JsonRpcErrorCode.ServiceUnavailable,
        'Authentication is temporarily unavailable; retry shortly.',
        {
          'retry-after': retryAfter,
        },
      );
    }

    const missing = requiredScopes.filter((scope) => !hasScopes(principal, [scope]));
    if (missing.length) {
      return unauthorized(
        request,
        403,
        'insufficient_scope',
        `The credential lacks the scope(s) this endpoint requires: ${missing.join(' ')}.`,
      );
    }

    const requests = messages.filter((m): m is Extract<IncomingMessage, { kind: 'request' }> => m.kind === 'request');
    const ids = new Set(requests.map((m) => m.message.id));
    if (ids.size !== requests.length) {
      return rpcFailure(400, JsonRpcErrorCode.InvalidRequest, 'Request ids in a batch must be unique.');
    }

    // 3. The registry, only when a tools/* request needs it; nothing is dispatched if it is unavailable.
    let snapshot: RegistrySnapshot | undefined;
    if (pendingSnapshot) {
      try {
        snapshot = await pendingSnapshot;
      } catch {
        return rpcFailure(
          503,
          JsonRpcErrorCode.ServiceUnavailable,
          `The tool registry is temporarily unavailable; retry after ${retryAfter} seconds.`,
          {
            'retry-after': retryAfter,
          },
        );
      }
    }

    // 4. Dispatch.
    const logger = options.logger.child({ requestId: request.requestId, agentId: principal.agentId });
    const session =
      requests.some((m) => m.message.method !== 'tools/list') || messages.some((m) => m.kind === 'notification')
        ? await openSession(principal, snapshot, request, logger)
        : undefined;
    const parts: string[] = [];
    for (const message of messages) {
      if (message.kind === 'invalid') {
        parts.push(
          JSON.stringify(
            errorResponse(message.id, JsonRpcErrorCode.InvalidRequest, `Invalid request: ${message.reason}.`),
          ),
        );
      } else if (message.kind === 'notification') {
        session?.transport.notify(message.message as JSONRPCMessage);
      } else if (message.kind === 'request') {
        parts.push(await answer(message.message, principal, snapshot, session));
      }
    }
    if (parts.length === 0) return { statusCode: 202, headers: {}, body: '' };
    const hasOnlyInvalid = messages.every((m) => m.kind === 'invalid');
    return {
      statusCode: hasOnlyInvalid && !isBatch ? 400 : 200,
      headers: { ...JSON_HEADERS },
      body: isBatch ? `[${parts.join(',')}]` : parts[0]!,
    };
  };

  interface Session {
    transport: RequestTransport;
  }

  /** One SDK server per HTTP request, for everything but `tools/list` (answered from the snapshot). */
  async function openSession(
    principal: Principal,
    snapshot: RegistrySnapshot | undefined,
    request: HttpRequest,
    logger: Logger,
  ): Promise<Session> {
    const { openSdkSession } = await loadSdkSessions();
    const transport = await openSdkSession({
      serverInfo,
      ...(options.instructions ? { instructions: options.instructions } : {}),
      callTool: (params, signal) => {
        if (!snapshot) throw new JsonRpcError(JsonRpcErrorCode.InternalError, 'Internal error.');
        return callTool(params, {
          snapshot,
          principal,
          secrets: options.secrets,
          audit: options.audit,
          logger,
          requestId: request.requestId,
          defaultTimeoutMs: options.defaultToolTimeoutMs,
          remainingMs: () => request.remainingMs() - options.deadlineMarginMs,
          signal,
          redactor,
          rateLimiter: options.rateLimiter,
        });
      },
    });
    return { transport };
  }

  async function answer(
    message: JsonRpcRequest,
    principal: Principal,
    snapshot: RegistrySnapshot | undefined,
    session: Session | undefined,
  ): Promise<string> {
    const id: JsonRpcId = message.id;
    if (message.method === 'tools/list' && snapshot) {
      // Precomputed once per snapshot and scope set, one bounded page at a time: the cost of listing is independent
      // of the registry size.
      const cursor = message.params?.cursor;
      if (cursor !== undefined && typeof cursor !== 'string') {
        return JSON.stringify(
          errorResponse(id, JsonRpcErrorCode.InvalidParams, 'Invalid params: "cursor" must be a string.'),
        );
      }
      const page = snapshot.listingFor(principal, { cursor, pageSize: options.toolsPageSize });
      if (page === undefined) {
        return JSON.stringify(
          errorResponse(
            id,
            JsonRpcErrorCode.InvalidParams,
            'Invalid cursor: pass the nextCursor of a previous tools/list.',
          ),
        );
      }
      return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${page}}`;
    }
    if (message.method === 'tools/call') {
      const problem = callParamsProblem(message.params);
      if (problem) return JSON.stringify(errorResponse(id, JsonRpcErrorCode.InvalidParams, problem));
    }
    const response = await session!.transport.exchange(message as JSONRPCMessage & { id: JsonRpcId });
    return redactor.redact(JSON.stringify(response));
  }
}

function callParamsProblem(params: Record<string, unknown> | undefined): string | undefined {
  if (!params || typeof params.name !== 'string' || params.name === '') {
    return 'Invalid params: "name" (the tool to call) is required and must be a string.';
  }
  const args = params.arguments;
  if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) {
    return 'Invalid params: "arguments" must be an object of the tool\'s arguments.';
  }
  return undefined;
}
