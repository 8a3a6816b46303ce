import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

/** What every bench handler exports: a Lambda handler for API Gateway REST proxy events. */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * What the bench asks a handler: the handshake (`initialize`, whose 2026-07-28 counterpart is `server/discover`), a
 * `tools/list` page or a `tools/call`.
 */
export type BenchMethod = 'initialize' | 'tools/list' | 'tools/call';

/**
 * The MCP protocol era a request speaks. `legacy`: MCP 2025-06-18 (the bench's `initialize` asks for it, and every
 * later request names it in `MCP-Protocol-Version`), no `_meta`. `modern`: MCP 2026-07-28, no `initialize`: every
 * request carries the version, the client's capabilities and its identity in `params._meta`, and the headers
 * `MCP-Protocol-Version`, `Mcp-Method` and, for `tools/call`, `Mcp-Name`.
 */
export type Era = 'legacy' | 'modern';

export const PROTOCOL_VERSION = '2025-06-18';
export const MODERN_PROTOCOL_VERSION = '2026-07-28';
const CLIENT_INFO = { name: 'mcp-cluster-bench', version: '1.0.0' };
const DOMAIN = 'abcdef1234.execute-api.us-east-1.amazonaws.com';
const STAGE = 'prod';

/** The JSON-RPC method a bench method is sent as in an era (`initialize` is `server/discover` in 2026-07-28). */
export function wireMethod(method: BenchMethod, era: Era): string {
  return era === 'modern' && method === 'initialize' ? 'server/discover' : method;
}

/** The `_meta` envelope every 2026-07-28 request carries. */
export const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': MODERN_PROTOCOL_VERSION,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
};

/** The JSON-RPC request body of one benchmark call, in the era given (legacy by default). */
export function rpcBody(
  method: BenchMethod,
  id: number,
  /** tools/call: the call; tools/list: `{ cursor }` for a page after the first. */
  extra?: { name: string; arguments: Record<string, unknown> } | { cursor: string },
  era: Era = 'legacy',
): string {
  if (era === 'modern') {
    const params = { ...(method === 'initialize' ? {} : extra), _meta: MODERN_META };
    return JSON.stringify({ jsonrpc: '2.0', id, method: wireMethod(method, era), params });
  }
  const params =
    method === 'initialize'
      ? { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: CLIENT_INFO }
      : (extra ?? {});
  return JSON.stringify({ jsonrpc: '2.0', id, method, params });
}

/** The MCP headers of a request: legacy sends its negotiated version after `initialize`; modern the three of 2026-07-28. */
function mcpHeaders(method: BenchMethod | undefined, era: Era, name: string | undefined): Record<string, string> {
  if (era === 'modern') {
    if (!method) throw new Error('a 2026-07-28 request needs its method (for the Mcp-Method header)');
    if (method === 'tools/call' && !name) throw new Error('a 2026-07-28 tools/call needs the tool name (Mcp-Name)');
    return {
      'MCP-Protocol-Version': MODERN_PROTOCOL_VERSION,
      'Mcp-Method': wireMethod(method, era),
      ...(method === 'tools/call' && name ? { 'Mcp-Name': name } : {}),
    };
  }
  return method && method !== 'initialize' ? { 'MCP-Protocol-Version': PROTOCOL_VERSION } : {};
}

/**
 * An API Gateway REST API proxy event (payload v1) for `POST /mcp`, shaped like the one API Gateway (and
 * `infra/local/front.ts`) builds: headers as sent, their multi-value form, and the request context.
 */
export function proxyEvent(
  body: string,
  options: {
    apiKey?: string;
    method?: BenchMethod;
    /** Legacy by default. */
    era?: Era;
    /** The tool a tools/call calls (a 2026-07-28 request names it in `Mcp-Name`). */
    name?: string;
  } = {},
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {
    Host: DOMAIN,
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    'User-Agent': 'mcp-cluster-bench/1.0',
    'X-Forwarded-For': '203.0.113.7',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
    ...mcpHeaders(options.method, options.era ?? 'legacy', options.name),
    ...(options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {}),
  };
  const multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
  const requestId = randomUUID();
  return {
    resource: '/mcp',
    path: '/mcp',
    httpMethod: 'POST',
    headers,
    multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: 'POST',
      identity: {
        sourceIp: '203.0.113.7',
        userAgent: 'mcp-cluster-bench/1.0',
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
      domainName: DOMAIN,
      domainPrefix: 'abcdef1234',
      path: `/${STAGE}/mcp`,
      stage: STAGE,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'abc123',
      resourcePath: '/mcp',
    },
  };
}

/** A Lambda context with a 30 s deadline from now. */
export function lambdaContext(timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'mcp-cluster-bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:mcp-cluster-bench',
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/mcp-cluster-bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A JSON-RPC response as the bench reads it. */
export interface RpcMessage {
  error?: unknown;
  result?: Record<string, unknown>;
}

/**
 * The JSON-RPC message of a response body: the body itself (JSON), or, for an SSE answer (`text/event-stream`, which
 * the v2 SDK's legacy leg always sends), the `data:` line(s) of its one `message` event.
 */
export function rpcMessage(result: Pick<APIGatewayProxyResult, 'body' | 'headers'>): RpcMessage {
  const type = String(
    Object.entries(result.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '',
  );
  const body = result.body;
  if (!type.includes('text/event-stream') && !/^(event|data|id|retry)?:/.test(body)) {
    return JSON.parse(body) as RpcMessage;
  }
  // One event per response here (JSON-RPC result or error); its data may span several `data:` lines.
  const events = body.split(/\r?\n\r?\n/);
  for (const event of events) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''));
    if (data.length) return JSON.parse(data.join('\n')) as RpcMessage;
  }
  throw new Error('an SSE body without a data line');
}

/**
 * Why a response is not the success the bench expects (undefined when it is). With `deep`, the body is parsed and
 * checked; otherwise only the status and a cheap look at the body (tools/list bodies can be ~1 MB). A 2026-07-28
 * result must say `resultType: "complete"`, and a cacheable one (`tools/list`, `server/discover`) carry `ttlMs` and
 * `cacheScope`; `server/discover` must offer 2026-07-28.
 */
export function responseProblem(
  method: BenchMethod,
  result: APIGatewayProxyResult,
  options: { deep: boolean; expectedTools?: number; era?: Era },
): string | undefined {
  if (result.statusCode !== 200) return `HTTP ${result.statusCode}: ${result.body.slice(0, 300)}`;
  // Any look at a tools/list body (even startsWith) flattens the handler's ~1 MB string inside the timed loop.
  if (!options.deep && method === 'tools/list') return undefined;
  let parsed: RpcMessage;
  try {
    parsed = rpcMessage(result);
  } catch {
    return `not JSON (nor SSE with a JSON data line): ${result.body.slice(0, 300)}`;
  }
  if (parsed.error || !parsed.result) return `JSON-RPC error: ${JSON.stringify(parsed.error).slice(0, 300)}`;
  const answer = parsed.result;
  if (method === 'tools/call') {
    if (answer.isError) return `isError result: ${JSON.stringify(answer).slice(0, 300)}`;
  }
  if (method === 'tools/list' && options.expectedTools !== undefined) {
    const count = (answer.tools as unknown[] | undefined)?.length;
    if (count !== options.expectedTools) return `tools/list listed ${count} tools, expected ${options.expectedTools}`;
  }
  if (options.era === 'modern') {
    if (answer.resultType !== 'complete')
      return `2026-07-28 result with resultType ${JSON.stringify(answer.resultType)}`;
    if (method !== 'tools/call') {
      if (typeof answer.ttlMs !== 'number' || (answer.cacheScope !== 'public' && answer.cacheScope !== 'private')) {
        return `2026-07-28 ${wireMethod(method, 'modern')} result without ttlMs/cacheScope (${JSON.stringify(answer.ttlMs)}, ${JSON.stringify(answer.cacheScope)})`;
      }
    }
    if (
      method === 'initialize' &&
      !(answer.supportedVersions as unknown[] | undefined)?.includes(MODERN_PROTOCOL_VERSION)
    ) {
      return `server/discover does not offer ${MODERN_PROTOCOL_VERSION}: ${JSON.stringify(answer.supportedVersions)}`;
    }
  } else if (method === 'initialize' && !answer.serverInfo) {
    return 'initialize result without serverInfo';
  }
  return undefined;
}
