import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { sdkLogger } from '../../shared/aws/sdk-logger.js';
import { loadConfig } from '../../shared/config/config.js';
import { createLogger } from '../../shared/logging/logger.js';
import { fromApiGatewayEvent, toApiGatewayResult } from '../../shared/mcp/api-gateway.js';
import { createMcpApp } from '../../shared/mcp/app.js';
import { loadCodeTools } from '../../shared/tools/load-tools.js';
import { promptModules } from '../prompts/index.generated.js';
import { resourceModules } from '../resources/index.generated.js';
import { toolModules } from '../tools/index.generated.js';

// Everything here runs once per container (cold start); a request only pays for its own work.
const config = loadConfig();
const logger = createLogger({ level: config.LOG_LEVEL });

// Short timeouts and few retries: a slow dependency should fall back to cached data, not eat the function's deadline.
const clientOptions = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  logger: sdkLogger(logger),
};
const endpoint = createMcpApp({
  config,
  dynamodb: new DynamoDBClient(clientOptions),
  // Loaded on the first call of a tool with secrets (once per container), so tools/list never waits for it.
  secretsManager: async () => {
    const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    return new SecretsManagerClient(clientOptions);
  },
  // Made on the first large result stored or read back; a result of a few MB takes longer to send than other answers.
  s3: { ...clientOptions, requestHandler: { connectionTimeout: 1_000, requestTimeout: 10_000 } },
  codeTools: loadCodeTools(toolModules),
  codeResources: resourceModules.map((entry) => entry.resource),
  codePrompts: promptModules.map((entry) => entry.prompt),
  logger,
});

/** API Gateway (REST API, Lambda proxy integration) → MCP Streamable HTTP, stateless, answered whole. */
export async function bufferedHandler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  return toApiGatewayResult(await endpoint(fromApiGatewayEvent(event, context)));
}

/**
 * The same over Lambda response streaming (API Gateway's STREAM transfer mode): a JSON answer is written at once, and
 * an event-stream answer event by event as the tool produces them.
 */
export async function streamingHandler(
  event: APIGatewayProxyEvent,
  responseStream: NodeJS.WritableStream,
  context: Context,
): Promise<void> {
  const runtime = lambdaStreaming as LambdaStreaming;
  let opened: NodeJS.WritableStream | undefined;
  const open = (statusCode: number, headers: Record<string, string>) =>
    (opened ??= runtime.HttpResponseStream.from(responseStream, { statusCode, headers }));
  const response = await endpoint({
    ...fromApiGatewayEvent(event, context),
    openStream(statusCode, headers) {
      const stream = open(statusCode, headers);
      return { write: (chunk) => void stream.write(chunk), end: () => void stream.end() };
    },
  });
  if (response.streamed) return;
  const stream = open(response.statusCode, response.headers);
  stream.write(response.body);
  stream.end();
}

/** What the Lambda Node.js runtime offers for response streaming (and the local workers offer alike). */
interface LambdaStreaming {
  streamifyResponse(
    handler: (event: APIGatewayProxyEvent, stream: NodeJS.WritableStream, context: Context) => Promise<void>,
  ): unknown;
  HttpResponseStream: {
    from(
      stream: NodeJS.WritableStream,
      prelude: { statusCode: number; headers: Record<string, string> },
    ): NodeJS.WritableStream;
  };
}
// The AWS SDK itself sets `globalThis.awslambda = globalThis.awslambda || {}` (its invoke store): only the runtime's
// object has streamifyResponse.
const lambdaStreaming = (globalThis as { awslambda?: Partial<LambdaStreaming> }).awslambda;

/** Streams where the runtime can (Lambda, the local cluster); answers whole elsewhere (tests importing the module). */
export const handler =
  typeof lambdaStreaming?.streamifyResponse === 'function'
    ? lambdaStreaming.streamifyResponse(streamingHandler)
    : bufferedHandler;
