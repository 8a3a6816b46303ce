import type { Implementation, ServerCapabilities } from '@modelcontextprotocol/server';
import type { AuditSink } from '../audit/audit.js';
import type { Authenticator } from '../auth/authenticate.js';
import { hasScopes, type Principal } from '../auth/principal.js';
import { hasErrorCode } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { tenantRedactors as processTenantRedactors, type TenantRedactors } from '../logging/redactor.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import type { Registry } from '../registry/registry.js';
import type { RegistrySnapshot } from '../registry/snapshot.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { UsedRequestStateStore } from '../store/used-request-states.js';
import { DEFAULT_MAX_RESULT_BYTES } from './call-tool.js';
import { type Answer, createDispatcher } from './dispatch/dispatcher.js';
import { lazyMethod, type MethodTable } from './dispatch/method.js';
import { acceptGuard, accepts } from './guards/accept.js';
import { bodySizeGuard } from './guards/body-size.js';
import { contentTypeGuard } from './guards/content-type.js';
import { firstRefusal, type Guard } from './guards/guard.js';
import { methodGuard } from './guards/method.js';
import { originGuard } from './guards/origin.js';
import { errorHttpResponse, jsonResponse, rejection } from './http-response.js';
import type { HttpRequest, HttpResponse } from './http-types.js';
import type { Idempotency } from './idempotency.js';
import {
  classifyMessage,
  errorJson,
  type IncomingMessage,
  JsonRpcError,
  type JsonRpcId,
  type JsonRpcRequest,
} from './json-rpc.js';
import { initializeMethod } from './methods/initialize.js';
import { loggingSetLevelMethod } from './methods/logging-set-level.js';
import { pingMethod } from './methods/ping.js';
import { promptsListMethod } from './methods/prompts-list.js';
import { resourcesListMethod, resourceTemplatesListMethod } from './methods/resources-list.js';
import { serverDiscoverMethod } from './methods/server-discover.js';
import { toolsCallMethod } from './methods/tools-call.js';
import { toolsListMethod } from './methods/tools-list.js';
import { authChallenge, type ChallengeOptions } from './oauth/challenge.js';
import {
  isProtectedResourceMetadataPath,
  PROTECTED_RESOURCE_PATH,
  protectedResourceMetadata,
} from './oauth/protected-resource-metadata.js';
import { toolScopesOf, unionOf } from './oauth/scopes.js';
import { checkNotificationVersion, isModern, type Protocol, resolveProtocol } from './protocol/era.js';
import { allowsBatches } from './protocol/versions.js';
import { encodedBytes } from './response-size.js';
import type { ResultLinker } from './result-links.js';
import type { ItemServices } from './serve-item.js';
import { EventStreamAnswer } from './streaming/event-stream.js';
import { progressTokenOf } from './streaming/tool-reporter.js';

export { PROTECTED_RESOURCE_PATH };

export interface McpEndpointOptions {
  serverName: string;
  serverVersion: string;
  instructions?: string;
  /**
   * What the server serves besides tools (its code has resources, prompts), declared as capabilities; completions
   * come with either. @default neither
   */
  serves?: { resources?: boolean; prompts?: boolean };
  maxBodyBytes: number;
  /** Largest tool result once encoded (and largest batch answer). @default 5000000 */
  maxResultBytes?: number;
  defaultToolTimeoutMs: number;
  /** Kept back from the function's deadline so a timed-out tool can still be answered. */
  deadlineMarginMs: number;
  /** Largest JSON-RPC batch accepted (protocol versions before 2025-06-18 allow batches). @default 20 */
  maxBatchSize?: number;
  /** Seconds a client is told to wait when the registry is unavailable. @default 5 */
  retryAfterSeconds?: number;
  authenticator: Authenticator;
  registry: Registry;
  secrets: SecretStore;
  audit: AuditSink;
  logger: Logger;
  /** Scrub answers, each with its caller's tenant's secrets; the process-wide ones by default. */
  tenantRedactors?: TenantRedactors;
  /** Counters for tools and keys that set a rate limit. */
  rateLimiter?: RateLimiter;
  /** Protection of tools against duplicate calls; without it every call runs. */
  idempotency?: Idempotency;
  /** The endpoint's public base URL (`PUBLIC_BASE_URL`); otherwise the one API Gateway reports for the request. */
  publicBaseUrl?: string;
  /**
   * Authorization servers named in the protected-resource metadata (RFC 9728). None: API keys only, no metadata, and a
   * refused key answers 403 (see `authChallenge`). @default none
   */
  authorizationServers?: readonly string[];
  /**
   * Scopes a 401 challenge tells OAuth clients to request, besides the required ones (RFC 6750 `scope`, which MCP
   * clients request as given). @default the scopes of the enabled read-only tools
   */
  defaultScopes?: readonly string[];
  /** Scopes every caller needs; a valid credential without them gets 403 insufficient_scope. */
  requiredScopes?: readonly string[];
  /** Browser origins allowed besides the endpoint's own (`*` for any); a request from another gets 403. @default none */
  allowedOrigins?: readonly string[];
  /** Tools per `tools/list` page. @default 100 */
  toolsPageSize?: number;
  /** How long a client may consider a `tools/list` page fresh (MCP 2026-07-28 `ttlMs`). @default 10000 */
  listTtlMs?: number;
  /** How long a client may consider the `server/discover` answer fresh. @default 300000 */
  discoverTtlMs?: number;
  /**
   * Longest a request answered as JSON may take (API Gateway's limit on a response that is not streamed). A
   * `tools/call` that can be answered as an event stream (the caller accepts `text/event-stream` and asks for progress
   * or logs, and the transport streams) may use the function's whole remaining time. @default no limit of its own
   */
  jsonResponseTimeoutMs?: number;
  /** Where used `requestState`s of multi-round calls are remembered, so that each is used once. */
  usedRequestStates?: UsedRequestStateStore;
  /** How long a `requestState` may be used. @default 600000 */
  requestStateTtlMs?: number;
  /** Stores large tool results and reads them back (`resources/read`); without it results are never linked. */
  resultLinks?: ResultLinker;
}

export type McpEndpoint = (request: HttpRequest) => Promise<HttpResponse>;

/** How long one HTTP request may take, and its event stream once it has one. */
interface RequestCall {
  remainingMs(): number;
  /** The request may be answered as a live event stream: it gets the function's whole remaining time. */
  mayStream(): void;
  stream?: EventStreamAnswer;
}

/** One message of the body, with what is known of it before dispatch. */
type Message =
  | { kind: 'request'; request: JsonRpcRequest; protocol: Protocol }
  | { kind: 'notification' }
  | { kind: 'answered'; answer: Answer };

/**
 * The MCP endpoint: Streamable HTTP, stateless, JSON responses, both protocol eras. It reads top to bottom:
 * 1. the protected-resource metadata (RFC 9728), its own route;
 * 2. guards, cheap and before any I/O: origin, method, body size, content type, Accept;
 * 3. the body: JSON, one message (or, for protocol versions before 2025-06-18, a batch), each message's era and, for
 *    the modern era, its `_meta` and routing headers;
 * 4. who is calling (the registry snapshot is read alongside, when a message needs it);
 * 5. the dispatcher, one method table for both eras;
 * 6. the response: 202 for notifications only, else the answer (or the batch's answers).
 */
export function createMcpEndpoint(options: McpEndpointOptions): McpEndpoint {
  const maxBatchSize = options.maxBatchSize ?? 20;
  const maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  const retryAfter = String(options.retryAfterSeconds ?? 5);
  const serverInfo: Implementation = { name: options.serverName, version: options.serverVersion };
  // An answer is scrubbed last of the secrets its caller's tenant resolved, never of another tenant's: scrubbing with
  // those would tell a caller which text is someone's secret.
  const redactors = options.tenantRedactors ?? processTenantRedactors;
  const redactorFor = (principal: { tenant: string }) => redactors.for(principal.tenant);
  const requiredScopes = options.requiredScopes ?? [];
  const baseUrlOf = (request: HttpRequest) => (options.publicBaseUrl ?? request.baseUrl ?? '').replace(/\/+$/, '');
  const metadataUrlOf = (request: HttpRequest) => `${baseUrlOf(request)}${PROTECTED_RESOURCE_PATH}/mcp`;
  const oauth = (options.authorizationServers ?? []).length > 0;

  /** What a refusal's challenge names: the metadata, and the scopes this request's client should ask for. */
  async function challengeOptions(
    request: HttpRequest,
    pending: Promise<RegistrySnapshot> | undefined,
    granted?: readonly string[],
  ): Promise<ChallengeOptions> {
    if (!oauth) return { scopes: requiredScopes, realm: options.serverName };
    let scopes: readonly string[] = requiredScopes;
    try {
      const toolScopes = toolScopesOf(await (pending ?? options.registry.snapshot()));
      if (granted) {
        // insufficient_scope: the scopes still needed and those already granted that this resource uses (MCP's
        // recommended step-up), so that a new token loses nothing the old one could do.
        const known = new Set([...requiredScopes, ...toolScopes.all]);
        scopes = unionOf(
          requiredScopes,
          granted.filter((scope) => known.has(scope)),
        );
      } else {
        scopes = unionOf(requiredScopes, options.defaultScopes ?? toolScopes.readOnly);
      }
    } catch {
      scopes = unionOf(requiredScopes, granted ?? options.defaultScopes ?? []);
    }
    return { metadataUrl: metadataUrlOf(request), scopes, realm: options.serverName };
  }

  const metadata = protectedResourceMetadata({
    baseUrlOf,
    resourceName: options.serverName,
    authorizationServers: options.authorizationServers ?? [],
    requiredScopes,
    registry: options.registry,
  });

  const guards: Guard[] = [
    originGuard({ allowedOrigins: options.allowedOrigins, ownOrigin: (request) => originOf(baseUrlOf(request)) }),
    methodGuard(),
    bodySizeGuard({ maxBytes: options.maxBodyBytes }),
    contentTypeGuard(),
    acceptGuard(),
  ];

  /** The resource, prompt and completion methods: both eras, answered from the registry snapshot. */
  const ITEM_METHOD = { eras: ['legacy', 'modern'] as const, readsRegistry: true };
  const listOptions = { pageSize: options.toolsPageSize, ttlMs: options.listTtlMs ?? 10_000 };
  const itemServices: ItemServices = {
    secrets: options.secrets,
    audit: options.audit,
    rateLimiter: options.rateLimiter,
    defaultTimeoutMs: options.defaultToolTimeoutMs,
    deadlineMarginMs: options.deadlineMarginMs,
  };
  // Capabilities say what is served: resources (no subscriptions: a stateless cluster holds no stream per subscriber)
  // and prompts when the code has them, completions with either.
  const capabilities: ServerCapabilities = {
    tools: { listChanged: false },
    logging: {},
    ...(options.serves?.resources ? { resources: { subscribe: false, listChanged: false } } : {}),
    ...(options.serves?.prompts ? { prompts: { listChanged: false } } : {}),
    ...(options.serves?.resources || options.serves?.prompts ? { completions: {} } : {}),
  };
  const methods: MethodTable = {
    initialize: initializeMethod({ serverInfo, instructions: options.instructions, capabilities }),
    'server/discover': serverDiscoverMethod({
      instructions: options.instructions,
      // logging/setLevel is the legacy era's: a modern request asks for its log level in its own _meta.
      capabilities: (({ logging: _legacyOnly, ...modern }) => modern)(capabilities),
      ttlMs: options.discoverTtlMs ?? 300_000,
    }),
    ping: pingMethod(),
    'logging/setLevel': loggingSetLevelMethod(),
    'tools/list': toolsListMethod(listOptions),
    ...(options.serves?.resources
      ? {
          'resources/list': resourcesListMethod(listOptions),
          'resources/templates/list': resourceTemplatesListMethod(listOptions),
        }
      : {}),
    ...(options.serves?.resources || options.resultLinks
      ? {
          'resources/read': lazyMethod(ITEM_METHOD, async () =>
            (await import('./methods/resources-read.js')).resourcesReadMethod({
              ...itemServices,
              resultLinks: options.resultLinks,
            }),
          ),
        }
      : {}),
    ...(options.serves?.prompts
      ? {
          'prompts/list': promptsListMethod(listOptions),
          'prompts/get': lazyMethod(ITEM_METHOD, async () =>
            (await import('./methods/prompts-get.js')).promptsGetMethod(itemServices),
          ),
        }
      : {}),
    ...(options.serves?.resources || options.serves?.prompts
      ? {
          'completion/complete': lazyMethod(ITEM_METHOD, async () =>
            (await import('./methods/completion-complete.js')).completionCompleteMethod(itemServices),
          ),
        }
      : {}),
    'tools/call': toolsCallMethod({
      secrets: options.secrets,
      audit: options.audit,
      redactorFor,
      rateLimiter: options.rateLimiter,
      idempotency: options.idempotency,
      defaultTimeoutMs: options.defaultToolTimeoutMs,
      deadlineMarginMs: options.deadlineMarginMs,
      maxResultBytes,
      usedRequestStates: options.usedRequestStates,
      requestStateTtlMs: options.requestStateTtlMs,
      resultLinks: options.resultLinks,
    }),
  };
  const dispatch = createDispatcher({ methods, serverInfo, redactorFor });
  const readsRegistry = (method: string) => Object.hasOwn(methods, method) && methods[method]!.readsRegistry === true;

  /**
   * The watchdog: whatever a request waits on, it is answered before the function's deadline (half the margin kept
   * for answering), so an instance is never lost to a timeout. What was still running is logged with the request id.
   */
  return (request) => {
    const started = Date.now();
    const jsonDeadline =
      options.jsonResponseTimeoutMs === undefined ? Number.POSITIVE_INFINITY : started + options.jsonResponseTimeoutMs;
    // A request answered as JSON has at most the JSON response time; one that may stream, the function's whole time.
    const call: RequestCall = {
      remainingMs: () => Math.min(request.remainingMs(), jsonDeadline - Date.now()),
      mayStream: () => {
        call.remainingMs = request.remainingMs;
        arm();
      },
    };
    let timer: NodeJS.Timeout | undefined;
    let answer: (response: HttpResponse) => void = () => undefined;
    const watchdog = new Promise<HttpResponse>((resolve) => {
      answer = resolve;
    });
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => {
          options.logger.error('request not answered before the deadline; answered by the watchdog', {
            requestId: request.requestId,
          });
          const error = new JsonRpcError(
            'InternalError',
            `The request did not finish in time; it was logged with request id ${request.requestId}.`,
            { status: 504 },
          );
          const response = withIdOf(request.body, errorHttpResponse(null, error));
          // A stream already under way ends with the error as its last event.
          answer(call.stream?.started ? call.stream.finish(response.body) : response);
        },
        Math.max(0, call.remainingMs() - options.deadlineMarginMs / 2),
      );
    };
    arm();
    return Promise.race([handle(request, call), watchdog]).finally(() => clearTimeout(timer));
  };

  async function handle(request: HttpRequest, call: RequestCall): Promise<HttpResponse> {
    // 1. The protected-resource metadata.
    if (isProtectedResourceMetadataPath(request.path)) return metadata(request);

    // With an authorization server, a GET or DELETE without a credential is answered with the 401 challenge, as a POST
    // is: OAuth clients probe the endpoint that way to learn how to sign in and which scopes to request (mcp-remote reads
    // the scope of its client-credentials token request from this answer only). With a credential it gets the 405.
    if (oauth && (request.method === 'GET' || request.method === 'DELETE') && !request.headers['authorization']) {
      return authChallenge(
        null,
        {
          status: 401,
          reason: 'invalid_request',
          message: 'Authentication required: send "Authorization: Bearer <token>".',
        },
        await challengeOptions(request, undefined),
      );
    }

    // 2. Guards. A refusal echoes the id of the body's message when it can be read (the size guard never parses).
    const refused = firstRefusal(guards, request);
    if (refused) return refused.statusCode === 413 ? refused : withIdOf(request.body, refused);

    // 3. The body.
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.body ?? '');
    } catch {
      return rejection(400, 'ParseError', 'Parse error: the request body is not valid JSON.');
    }
    const body = readBody(parsed, request.headers);
    if ('response' in body) return body.response;
    const { messages, batch } = body;
    const first = messages[0];
    const onlyId = !batch && first?.kind === 'request' ? first.request.id : null;

    // 4. Who is calling; the registry alongside, when a request needs it. On a cold instance each is a DynamoDB round
    // trip, and the second need not wait for the first. A refused caller costs at most the cached read.
    const pendingSnapshot = messages.some((m) => m.kind === 'request' && readsRegistry(m.request.method))
      ? options.registry.snapshot()
      : undefined;
    pendingSnapshot?.catch(() => undefined);

    let principal: Principal;
    try {
      principal = await options.authenticator.authenticate(request.headers);
    } catch (error) {
      if (hasErrorCode(error, 'UNAUTHENTICATED', 'FORBIDDEN')) {
        return authChallenge(onlyId, error, await challengeOptions(request, pendingSnapshot));
      }
      if (hasErrorCode(error, 'AUTH_MISCONFIGURED')) {
        // Logged where it was found, with the URLs tried; retrying cannot help until an operator fixes the setting.
        return errorHttpResponse(
          onlyId,
          new JsonRpcError(
            'InternalError',
            `This server cannot verify OAuth access tokens: its OAUTH_ISSUER setting does not match the authorization server (an operator must fix it; request id ${request.requestId}). API keys are not affected.`,
            { status: 500, data: { retryable: false } },
          ),
        );
      }
      options.logger.error('authentication failed unexpectedly', {
        requestId: request.requestId,
        error: error as Error,
      });
      return unavailable(onlyId, 'Authentication is temporarily unavailable; retry shortly.');
    }
    const missing = requiredScopes.filter((scope) => !hasScopes(principal, [scope]));
    if (missing.length) {
      return authChallenge(
        onlyId,
        {
          status: 403,
          reason: 'insufficient_scope',
          message: `The credential lacks the scope(s) this endpoint requires: ${missing.join(' ')}.`,
        },
        await challengeOptions(request, pendingSnapshot, principal.scopes),
      );
    }

    // Nothing is dispatched when the registry is unavailable with nothing cached.
    let snapshot: RegistrySnapshot | undefined;
    if (pendingSnapshot) {
      try {
        snapshot = await pendingSnapshot;
      } catch {
        return unavailable(onlyId, `The tool registry is temporarily unavailable; retry after ${retryAfter} seconds.`);
      }
    }

    // 5. Dispatch, one message at a time (a batch's tools/call audit and rate limits stay in order). A single
    // tools/call from a client that accepts an event stream may send notifications: its answer becomes a stream then.
    const stream = !batch && first?.kind === 'request' ? eventStreamFor(request, first) : undefined;
    if (stream) {
      call.stream = stream.answer;
      if (stream.live) call.mayStream();
    }
    const scope = {
      principal,
      snapshot,
      requestId: request.requestId,
      logger: options.logger.child({ requestId: request.requestId, agentId: principal.agentId }),
      remainingMs: () => call.remainingMs(),
      headers: request.headers,
      ...(stream ? { notify: (notification: string) => stream.answer.send(notification) } : {}),
    };
    const answers: Answer[] = [];
    for (const message of messages) {
      if (message.kind === 'answered') answers.push(message.answer);
      else if (message.kind === 'request') answers.push(await dispatch(message.request, message.protocol, scope));
    }

    // 6. The response.
    if (answers.length === 0) return { statusCode: 202, headers: {}, body: '' };
    if (stream?.answer.started) return stream.answer.finish(answers[0]!.json);
    if (!batch) return jsonResponse(answers[0]!.status, answers[0]!.json);
    return jsonResponse(200, `[${fitBatch(answers, messages).join(',')}]`);
  }

  /**
   * A batch's answers, each within the result limit, may together outgrow a response: those past the limit are
   * replaced by an error saying so (their calls ran, and were audited: send them one per request to see them).
   */
  function fitBatch(answers: Answer[], messages: Message[]): string[] {
    let total = 0;
    const ids = messages.flatMap((m) => (m.kind === 'request' ? [m.request.id] : m.kind === 'answered' ? [null] : []));
    return answers.map((answer, index) => {
      total += encodedBytes(answer.json);
      if (total <= maxResultBytes) return answer.json;
      const error = new JsonRpcError(
        'InternalError',
        'This answer did not fit in the batch response; the request was handled: send it alone to see its answer.',
      );
      return errorJson(ids[index] ?? null, error);
    });
  }

  /**
   * The event-stream answer of a `tools/call`, when the client accepts `text/event-stream`. It is `live` (written as
   * it is produced, and the call may then outlast the JSON response time) when the transport streams and the request
   * asks for notifications: a progress token, or (2026-07-28) a log level.
   */
  function eventStreamFor(
    request: HttpRequest,
    message: Extract<Message, { kind: 'request' }>,
  ): { answer: EventStreamAnswer; live: boolean } | undefined {
    if (message.request.method !== 'tools/call' || !accepts(request.headers.accept, 'text/event-stream')) {
      return undefined;
    }
    const meta = message.request.params?._meta as Record<string, unknown> | undefined;
    const asks =
      progressTokenOf(meta) !== undefined ||
      (message.protocol.era === 'modern' && message.protocol.meta.logLevel !== undefined);
    const live = asks && request.openStream !== undefined;
    return { answer: new EventStreamAnswer(live ? request.openStream?.bind(request) : undefined), live };
  }

  /** A dependency is down: HTTP 503 and Retry-After say so; the JSON-RPC error is an internal one, retryable. */
  function unavailable(id: JsonRpcId | null, message: string): HttpResponse {
    return errorHttpResponse(
      id,
      new JsonRpcError('InternalError', message, {
        status: 503,
        data: { retryable: true, retryAfterSeconds: Number(retryAfter) },
        headers: { 'retry-after': retryAfter },
      }),
    );
  }

  /**
   * The messages of a body and each one's era. A single message is refused as a whole (its error is the response);
   * in a batch (legacy only), a bad message gets its own error beside its neighbours' answers.
   */
  function readBody(
    parsed: unknown,
    headers: HttpRequest['headers'],
  ): { messages: Message[]; batch: boolean } | { response: HttpResponse } {
    const batch = Array.isArray(parsed);
    const raw: unknown[] = batch ? (parsed as unknown[]) : [parsed];
    const version = headers['mcp-protocol-version']?.trim();
    if (batch) {
      const modern = raw.some((m) => classifyMessage(m).kind === 'request' && isModern(version, m as JsonRpcRequest));
      if (modern || (version !== undefined && isModern(version, {}))) {
        return {
          response: rejection(
            400,
            'InvalidRequest',
            'JSON-RPC batches are not part of protocol 2026-07-28; send one message per request.',
          ),
        };
      }
      if (!allowsBatches(version)) {
        return {
          response: rejection(
            400,
            'InvalidRequest',
            `JSON-RPC batches are not part of protocol ${version}; send one message per request.`,
          ),
        };
      }
      if (raw.length === 0 || raw.length > maxBatchSize) {
        return { response: rejection(400, 'InvalidRequest', `A batch must hold 1 to ${maxBatchSize} messages.`) };
      }
    }
    const messages: Message[] = [];
    const ids = new Set<JsonRpcId>();
    for (const value of raw) {
      const message = readMessage(classifyMessage(value), headers);
      if (!batch && message.kind === 'answered') {
        return { response: jsonResponse(message.answer.status, message.answer.json) };
      }
      if (message.kind === 'request') {
        if (ids.has(message.request.id)) {
          return { response: rejection(400, 'InvalidRequest', 'Request ids in a batch must be unique.') };
        }
        ids.add(message.request.id);
      }
      messages.push(message);
    }
    return { messages, batch };
  }

  function readMessage(message: IncomingMessage, headers: HttpRequest['headers']): Message {
    switch (message.kind) {
      case 'invalid':
        return refusedMessage(
          message.id,
          message.error === 'InvalidParams'
            ? new JsonRpcError('InvalidParams', `Invalid params: ${message.reason}.`, { status: 400 })
            : new JsonRpcError('InvalidRequest', `Invalid request: ${message.reason}.`, { status: 400 }),
        );
      case 'response':
        // This server sends no requests, so a response answers nothing: accepted and ignored.
        return { kind: 'notification' };
      case 'notification':
        try {
          checkNotificationVersion(headers, message.message);
          return { kind: 'notification' };
        } catch (error) {
          return refusedMessage(null, error as JsonRpcError);
        }
      case 'request':
        try {
          return { kind: 'request', request: message.message, protocol: resolveProtocol(headers, message.message) };
        } catch (error) {
          if (!(error instanceof JsonRpcError)) throw error;
          return refusedMessage(message.message.id, error);
        }
    }
  }

  function refusedMessage(id: JsonRpcId | null, error: JsonRpcError): Message {
    // Built from this server's words and excerpts of what the caller sent: nothing of a secret to scrub.
    return { kind: 'answered', answer: { status: error.status, json: errorJson(id, error) } };
  }
}

/** `response` (a refusal without an id) with the id of the message in `body`, if it is one with a readable id. */
function withIdOf(body: string | undefined, response: HttpResponse): HttpResponse {
  let message: unknown;
  try {
    message = JSON.parse(body ?? '');
  } catch {
    return response;
  }
  const classified = classifyMessage(message);
  const id =
    classified.kind === 'request' ? classified.message.id : classified.kind === 'invalid' ? classified.id : null;
  if (id === null) return response;
  const error = (JSON.parse(response.body) as { error: unknown }).error;
  return { ...response, body: JSON.stringify({ jsonrpc: '2.0', id, error }) };
}

/** The origin of a base URL (`https://host[:port]`), if it is one. */
function originOf(baseUrl: string): string | undefined {
  if (!baseUrl) return undefined;
  try {
    return new URL(baseUrl).origin;
  } catch {
    return undefined;
  }
}
