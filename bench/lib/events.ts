import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

/** What every bench handler exports: a Lambda handler for API Gateway REST proxy events. */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export type BenchMethod = 'initialize' | 'tools/list' | 'tools/call';

export const PROTOCOL_VERSION = '2025-06-18';
const DOMAIN = 'abcdef1234.execute-api.us-east-1.amazonaws.com';
const STAGE = 'prod';

/** The JSON-RPC request body of one benchmark call. */
export function rpcBody(
  method: BenchMethod,
  id: number,
  /** tools/call: the call; tools/list: `{ cursor }` for a page after the first. */
  extra?: { name: string; arguments: Record<string, unknown> } | { cursor: string },
): string {
  const params =
    method === 'initialize'
      ? {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'mcp-cluster-bench', version: '1.0.0' },
        }
      : (extra ?? {});
  return JSON.stringify({ jsonrpc: '2.0', id, method, params });
}

/**
 * An API Gateway REST API proxy event (payload v1) for `POST /mcp`, shaped like the one API Gateway (and
 * `infra/local/front.ts`) builds: headers as sent, their multi-value form, and the request context.
 */
export function proxyEvent(
  body: string,
  options: { apiKey?: string; method?: BenchMethod } = {},
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {
    Host: DOMAIN,
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    'User-Agent': 'mcp-cluster-bench/1.0',
    'X-Forwarded-For': '203.0.113.7',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
    ...(options.method && options.method !== 'initialize' ? { 'MCP-Protocol-Version': PROTOCOL_VERSION } : {}),
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

/**
 * Why a response is not the success the bench expects (undefined when it is). With `deep`, the body is parsed and
 * checked; otherwise only the status and a cheap look at the body (tools/list bodies can be ~1 MB).
 */
export function responseProblem(
  method: BenchMethod,
  result: APIGatewayProxyResult,
  options: { deep: boolean; expectedTools?: number },
): string | undefined {
  if (result.statusCode !== 200) return `HTTP ${result.statusCode}: ${result.body.slice(0, 300)}`;
  // Any look at a tools/list body (even startsWith) flattens the handler's ~1 MB string inside the timed loop.
  if (!options.deep && method === 'tools/list') return undefined;
  let parsed: { error?: unknown; result?: Record<string, unknown> };
  try {
    parsed = JSON.parse(result.body) as typeof parsed;
  } catch {
    return `not JSON: ${result.body.slice(0, 300)}`;
  }
  if (parsed.error || !parsed.result) return `JSON-RPC error: ${JSON.stringify(parsed.error).slice(0, 300)}`;
  if (method === 'tools/call') {
    if (parsed.result.isError) return `isError result: ${JSON.stringify(parsed.result).slice(0, 300)}`;
  }
  if (method === 'tools/list' && options.expectedTools !== undefined) {
    const count = (parsed.result.tools as unknown[] | undefined)?.length;
    if (count !== options.expectedTools) return `tools/list listed ${count} tools, expected ${options.expectedTools}`;
  }
  if (method === 'initialize' && !parsed.result.serverInfo) return 'initialize result without serverInfo';
  return undefined;
}
