import { type Duration, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { nagName } from './nag.js';

export const MCP_API_DEFAULTS = {
  throttlingRateLimit: 100,
  throttlingBurstLimit: 200,
} as const;

/** The MCP endpoint's path, and the RFC 9728 metadata paths (served by the same function). */
export const MCP_PATH = 'mcp';
export const PROTECTED_RESOURCE_METADATA_PATH = '.well-known/oauth-protected-resource';
/** The admin API's path (functions/admin), beside the MCP endpoint. */
export const ADMIN_PATH = 'admin';

export interface McpCustomDomainProps {
  /** e.g. `mcp.example.com`; mapped to the API stage at the root, so the endpoint is `https://<domainName>/mcp`. */
  domainName: string;
  /** An ACM certificate for the name, in the stack's region (regional endpoint). */
  certificateArn: string;
  /** When given, alias A/AAAA records are created in this zone. No lookup: both values are needed. */
  hostedZone?: { hostedZoneId: string; zoneName: string };
}

export interface McpApiProps {
  /** The function (or alias) API Gateway invokes for every route. */
  handler: lambda.IFunction;
  /**
   * How long API Gateway waits for the function's (streamed) answer; STREAM transfer mode allows up to 15 minutes.
   * Longer than the function's own timeout, so that the function ends its answer itself. @default 29 s
   */
  integrationTimeout?: Duration;
  /** API Gateway stage name. */
  stageName: string;
  /** Steady-state requests per second for the stage. @default 100 */
  throttlingRateLimit?: number;
  /** @default 200 */
  throttlingBurstLimit?: number;
  /** @default one month */
  logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  logRemovalPolicy?: RemovalPolicy;
  /** Browser origins allowed by CORS preflight. @default - no CORS */
  corsAllowOrigins?: string[];
  /**
   * Create the account-level role API Gateway uses to write logs (one per account and region; access logging needs
   * it). Turn off when the account already has one. @default true
   */
  cloudWatchRole?: boolean;
  customDomain?: McpCustomDomainProps;
}

/** Every `$context` field worth having per request, as one JSON object; nothing from headers or bodies. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integration.status',
  integrationError: '$context.integration.error',
  errorType: '$context.error.responseType',
  errorMessage: '$context.error.message',
  wafStatus: '$context.waf.status',
  xrayTraceId: '$context.xrayTraceId',
  domainName: '$context.domainName',
  stage: '$context.stage',
};

/**
 * The public HTTPS endpoint: a regional REST API with Lambda proxy integration. `POST /mcp` is MCP; `GET` and
 * `DELETE /mcp` reach the function too, which answers 405 at once (a stateless server opens no SSE stream and has
 * no session to delete), so clients get the MCP answer rather than API Gateway's 403. The RFC 9728 protected
 * resource metadata paths go to the same function. The stage throttles, writes JSON access logs, traces with
 * X-Ray and publishes metrics.
 */
export class McpApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly stage: apigateway.Stage;
  readonly accessLogGroup: logs.LogGroup;
  /** The endpoint clients configure: `https://.../mcp`. */
  readonly endpointUrl: string;
  /** The admin API, once `addAdminRoute` added it: `https://.../admin`. */
  adminUrl?: string;
  /** `https://<custom domain>` when one is configured. */
  readonly customDomainUrl?: string;
  readonly domainName?: apigateway.DomainName;

  constructor(scope: Construct, id: string, props: McpApiProps) {
    super(scope, id);
    const removalPolicy = props.logRemovalPolicy ?? RemovalPolicy.DESTROY;
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });

    const cloudWatchRole = props.cloudWatchRole ?? true;
    this.api = new apigateway.RestApi(this, 'Api', {
      description: 'mcp-cluster: MCP over Streamable HTTP (stateless)',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      cloudWatchRole,
      // The role is the account's (shared by every REST API in the region): it outlives this stack.
      ...(cloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      // tools/list answers grow with the number of tools; compress the larger ones for clients that accept gzip.
      minCompressionSize: Size.kibibytes(1),
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.throttlingRateLimit ?? MCP_API_DEFAULTS.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit ?? MCP_API_DEFAULTS.throttlingBurstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        tracingEnabled: true,
        metricsEnabled: true,
        // Execution logs for errors only; request and response bodies (which carry tool arguments) are never logged.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
      },
    });
    this.stage = this.api.deploymentStage;

    // Unknown paths: a plain 404 instead of API Gateway's "Missing Authentication Token" 403.
    this.api.addGatewayResponse('NotFound', {
      type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
      statusCode: '404',
      templates: { 'application/json': '{"error":"not_found","message":"No such path; the MCP endpoint is /mcp."}' },
    });

    // STREAM: the function answers through Lambda response streaming, so a tools/call answered as an event stream
    // reaches the client notification by notification (JSON answers are written at once, as before), and may take up
    // to the integration timeout (a JSON answer is held to its own limit by the function: JSON_RESPONSE_TIMEOUT_MS).
    const integration = new apigateway.LambdaIntegration(props.handler, {
      proxy: true,
      allowTestInvoke: false,
      responseTransferMode: apigateway.ResponseTransferMode.STREAM,
      timeout: props.integrationTimeout,
    });
    const cors: apigateway.CorsOptions | undefined = props.corsAllowOrigins?.length
      ? {
          allowOrigins: props.corsAllowOrigins,
          allowMethods: ['POST', 'GET', 'DELETE', 'OPTIONS'],
          // MCP 2026-07-28's routing headers beside the earlier ones (Mcp-Session-Id is sent by some legacy clients).
          allowHeaders: [
            'Content-Type',
            'Accept',
            'Authorization',
            'Mcp-Protocol-Version',
            'Mcp-Method',
            'Mcp-Name',
            'Mcp-Session-Id',
          ],
          exposeHeaders: ['WWW-Authenticate'],
        }
      : undefined;

    const mcp = this.api.root.addResource(MCP_PATH, cors ? { defaultCorsPreflightOptions: cors } : {});
    for (const method of ['POST', 'GET', 'DELETE']) mcp.addMethod(method, integration);

    let metadata = this.api.root;
    for (const part of PROTECTED_RESOURCE_METADATA_PATH.split('/')) {
      metadata = metadata.addResource(part, cors ? { defaultCorsPreflightOptions: cors } : {});
    }
    metadata.addMethod('GET', integration);
    metadata.addResource(MCP_PATH, cors ? { defaultCorsPreflightOptions: cors } : {}).addMethod('GET', integration);

    if (props.customDomain) {
      const { domainName, certificateArn, hostedZone } = props.customDomain;
      this.domainName = new apigateway.DomainName(this, 'Domain', {
        domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', certificateArn),
        endpointType: apigateway.EndpointType.REGIONAL,
        securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
        mapping: this.api,
      });
      if (hostedZone) {
        const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', hostedZone);
        const target = route53.RecordTarget.fromAlias(new targets.ApiGatewayDomain(this.domainName));
        new route53.ARecord(this, 'AliasA', { zone, recordName: domainName, target });
        new route53.AaaaRecord(this, 'AliasAAAA', { zone, recordName: domainName, target });
      }
      this.customDomainUrl = `https://${domainName}`;
    }
    this.endpointUrl = this.customDomainUrl
      ? `${this.customDomainUrl}/${MCP_PATH}`
      : this.api.urlForPath(`/${MCP_PATH}`);

    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'The function validates every request itself (method, size, content type, JSON-RPC shape, tool arguments) ' +
          'and answers with JSON-RPC errors; an API Gateway request model would duplicate that and answer in a ' +
          'format MCP clients do not understand.',
      },
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Callers authenticate with bearer credentials (API keys now, OAuth tokens with governance) that the ' +
          'function verifies against the registry, so it can answer 401 with the RFC 9728 WWW-Authenticate ' +
          'challenge MCP clients expect. The metadata paths must stay public by RFC 9728.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'No Cognito user pool: agents present API keys or OAuth tokens that the function verifies (see APIG4).',
      },
    );
    if (cloudWatchRole) {
      Validations.of(this.api).acknowledge({
        id: `AwsSolutions-IAM4[Policy::${nagName(this, iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs').managedPolicyArn)}]`,
        reason:
          "API Gateway's account-level logging role (one per account and region, used by every REST API there) " +
          'needs to write to any API log group; AWS maintains this managed policy for exactly that role.',
      });
    }
  }

  /**
   * `POST /admin` to the admin API's function (answered whole: no streaming, no CORS, no other method). The function
   * authenticates every request with a tenant admin key and validates its input (see APIG2 and APIG4 above).
   */
  addAdminRoute(handler: lambda.IFunction): void {
    const integration = new apigateway.LambdaIntegration(handler, { proxy: true, allowTestInvoke: false });
    this.api.root.addResource(ADMIN_PATH).addMethod('POST', integration);
    this.adminUrl = this.customDomainUrl
      ? `${this.customDomainUrl}/${ADMIN_PATH}`
      : this.api.urlForPath(`/${ADMIN_PATH}`);
  }
}
