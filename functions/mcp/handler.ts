import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { sdkLogger } from '../../shared/aws/sdk-logger.js';
import { loadConfig } from '../../shared/config/config.js';
import { createLogger } from '../../shared/logging/logger.js';
import { fromApiGatewayEvent, toApiGatewayResult } from '../../shared/mcp/api-gateway.js';
import { createMcpApp } from '../../shared/mcp/app.js';
import { loadCodeTools } from '../../shared/tools/load-tools.js';
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
  logger,
});

/** API Gateway (REST API, Lambda proxy integration) → MCP Streamable HTTP, stateless, JSON responses. */
export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  return toApiGatewayResult(await endpoint(fromApiGatewayEvent(event, context)));
}
