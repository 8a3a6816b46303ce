import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createAdminServer } from '../../shared/admin/admin-server.js';
import { createApiKeyVerifier } from '../../shared/auth/api-keys.js';
import { sdkLogger } from '../../shared/aws/sdk-logger.js';
import { loadAdminConfig } from '../../shared/config/config.js';
import { createLogger } from '../../shared/logging/logger.js';
import { fromApiGatewayEvent, toApiGatewayResult } from '../../shared/mcp/api-gateway.js';

// Once per container (cold start): config, clients and the key cache; a request only pays for its own work.
const config = loadAdminConfig();
const logger = createLogger({ level: config.LOG_LEVEL });
const clientOptions = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
  logger: sdkLogger(logger),
};
const dynamodb = new DynamoDBClient(clientOptions);
const secretsManager = new SecretsManagerClient(clientOptions);

const server = createAdminServer({
  targets: {
    registry: () => ({ client: dynamodb, tableName: config.REGISTRY_TABLE_NAME }),
    audit: () => ({ client: dynamodb, tableName: config.AUDIT_TABLE_NAME }),
    secrets: () => ({ client: secretsManager, prefix: config.SECRETS_PREFIX }),
  },
  apiKeys: createApiKeyVerifier({
    client: dynamodb,
    tableName: config.REGISTRY_TABLE_NAME,
    ttlMs: config.AUTH_CACHE_TTL_MS,
    logger,
    role: 'tenant-admin',
  }),
  logger,
});

/** API Gateway (REST API, Lambda proxy integration) `POST /admin` → the admin API, answered as JSON. */
export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  return toApiGatewayResult(await server(fromApiGatewayEvent(event, context)));
}
