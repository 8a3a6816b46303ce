import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type AuditSink, createLogAuditSink } from '../audit/audit.js';
import { createDynamoAuditSink } from '../audit/dynamo-sink.js';
import { createApiKeyVerifier } from '../auth/api-keys.js';
import { createAuthenticator } from '../auth/authenticate.js';
import { createJwtVerifier } from '../auth/jwt.js';
import type { Config } from '../config/config.js';
import { ConfigError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { createRateLimiter } from '../rate-limit/rate-limiter.js';
import { createManifestStore } from '../registry/manifest-store.js';
import { createRegistry } from '../registry/registry.js';
import { createSecretStore } from '../secrets/secret-store.js';
import { createIdempotencyRecordStore } from '../store/idempotency-records.js';
import { createUsedRequestStateStore } from '../store/used-request-states.js';
import type { PromptDefinition } from '../tools/define-prompt.js';
import type { ResourceDefinition } from '../tools/define-resource.js';
import type { ToolDefinition } from '../tools/define-tool.js';
import { SERVER_VERSION } from '../version.js';
import { createMcpEndpoint, type McpEndpoint } from './endpoint.js';
import { createIdempotency } from './idempotency.js';
import { createResultLinks } from './result-links.js';

export interface McpAppOptions {
  config: Config;
  dynamodb: DynamoDBClient;
  /** The client, or a function making it on first use (see `SecretStoreOptions.client`). */
  secretsManager: SecretsManagerClient | (() => Promise<SecretsManagerClient>);
  /**
   * How to make the S3 client for large results (`RESULT_BUCKET_NAME`): it is made, and its module loaded, on the first
   * result stored or read, so a cold start that serves none never loads it.
   */
  s3?: S3ClientConfig;
  codeTools: readonly ToolDefinition[];
  /** The folder resources and prompts. @default none */
  codeResources?: readonly ResourceDefinition[];
  codePrompts?: readonly PromptDefinition[];
  logger: Logger;
  audit?: AuditSink;
}

const INSTRUCTIONS =
  'Tools of this server are governed per caller: tools/list shows exactly the tools you may call. ' +
  'Failed calls return isError results with a code and say whether retrying can help.';

/** Wires the endpoint from configuration and AWS clients: what the Lambda handler does once per cold start. */
export function createMcpApp(options: McpAppOptions): McpEndpoint {
  const { config, logger } = options;
  const tableName = config.REGISTRY_TABLE_NAME;
  const publicBaseUrl = config.PUBLIC_BASE_URL?.replace(/\/+$/, '');
  const auditTable = config.AUDIT_TABLE_NAME;

  let jwt: ReturnType<typeof createJwtVerifier> | undefined;
  if (config.OAUTH_ISSUER) {
    const audience = config.OAUTH_AUDIENCE ?? (publicBaseUrl ? `${publicBaseUrl}/mcp` : undefined);
    if (!audience)
      throw new ConfigError('OAUTH_ISSUER needs OAUTH_AUDIENCE or PUBLIC_BASE_URL (the audience tokens must name)');
    jwt = createJwtVerifier({
      issuer: config.OAUTH_ISSUER,
      jwksUri: config.OAUTH_JWKS_URI,
      audience,
      algorithms: config.OAUTH_ALGORITHMS,
      tenantClaim: config.OAUTH_TENANT_CLAIM,
      clockToleranceSeconds: config.OAUTH_CLOCK_TOLERANCE_SECONDS,
      logger,
    });
  }

  return createMcpEndpoint({
    serverName: config.SERVER_NAME,
    serverVersion: SERVER_VERSION,
    instructions: INSTRUCTIONS,
    serves: { resources: (options.codeResources ?? []).length > 0, prompts: (options.codePrompts ?? []).length > 0 },
    maxBodyBytes: config.MAX_BODY_BYTES,
    maxResultBytes: config.MAX_RESULT_BYTES,
    defaultToolTimeoutMs: config.TOOL_TIMEOUT_MS,
    deadlineMarginMs: config.DEADLINE_MARGIN_MS,
    jsonResponseTimeoutMs: config.JSON_RESPONSE_TIMEOUT_MS,
    requestStateTtlMs: config.REQUEST_STATE_TTL_MS,
    usedRequestStates: auditTable
      ? createUsedRequestStateStore({ client: options.dynamodb, tableName: auditTable })
      : undefined,
    authenticator: createAuthenticator({
      apiKeys: createApiKeyVerifier({ client: options.dynamodb, tableName, ttlMs: config.AUTH_CACHE_TTL_MS, logger }),
      jwt,
    }),
    registry: createRegistry({
      store: createManifestStore({ client: options.dynamodb, tableName, logger }),
      codeTools: options.codeTools,
      codeResources: options.codeResources,
      codePrompts: options.codePrompts,
      ttlMs: config.REGISTRY_TTL_MS,
      logger,
      outbound: { allowedCidrs: config.OUTBOUND_ALLOWED_CIDRS, dnsServers: config.OUTBOUND_DNS_SERVERS },
    }),
    secrets: createSecretStore({
      client: options.secretsManager,
      prefix: config.SECRETS_PREFIX,
      ttlMs: config.SECRETS_TTL_MS,
      logger,
    }),
    audit:
      options.audit ??
      (auditTable && config.AUDIT_WRITE === 'table'
        ? createDynamoAuditSink({
            client: options.dynamodb,
            tableName: auditTable,
            retentionDays: config.AUDIT_RETENTION_DAYS,
            logger,
          })
        : createLogAuditSink(logger)),
    rateLimiter: auditTable ? createRateLimiter({ client: options.dynamodb, tableName: auditTable }) : undefined,
    idempotency: auditTable
      ? createIdempotency({
          store: createIdempotencyRecordStore({ client: options.dynamodb, tableName: auditTable }),
          ttlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
          windowSeconds: config.IDEMPOTENCY_WINDOW_SECONDS,
          maxResultBytes: config.IDEMPOTENCY_MAX_RESULT_BYTES,
        })
      : undefined,
    publicBaseUrl,
    authorizationServers: config.OAUTH_ISSUER ? [config.OAUTH_ISSUER] : [],
    defaultScopes: config.OAUTH_DEFAULT_SCOPES,
    requiredScopes: config.REQUIRED_SCOPES,
    allowedOrigins: config.ALLOWED_ORIGINS,
    toolsPageSize: config.TOOLS_PAGE_SIZE,
    // A tools/list page is as fresh as the registry snapshot it was computed from.
    listTtlMs: config.REGISTRY_TTL_MS,
    resultLinks: config.RESULT_BUCKET_NAME
      ? createResultLinks({
          bucket: config.RESULT_BUCKET_NAME,
          clientConfig: options.s3 ?? {},
          thresholdBytes: config.RESULT_LINK_THRESHOLD_BYTES,
          ttlSeconds: config.RESULT_LINK_TTL_SECONDS,
          maxResultBytes: config.MAX_RESULT_BYTES,
        })
      : undefined,
    logger,
  });
}
