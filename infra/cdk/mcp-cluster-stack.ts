import { CfnOutput, type Duration, RemovalPolicy, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AdminFunction } from './constructs/admin-function.js';
import { AuditIngest } from './constructs/audit-ingest.js';
import { AuditTable } from './constructs/audit-table.js';
import { ManifestSync } from './constructs/manifest-sync.js';
import { McpApi, type McpCustomDomainProps } from './constructs/mcp-api.js';
import { McpFunction, type McpFunctionProps } from './constructs/mcp-function.js';
import { McpObservability } from './constructs/observability.js';
import { RegistryTable } from './constructs/registry-table.js';
import { RequestStateKey } from './constructs/request-state-key.js';
import { ResultBucket } from './constructs/result-bucket.js';
import { ToolSecrets } from './constructs/tool-secrets.js';
import { McpWebAcl } from './constructs/web-acl.js';

/** Output folders of `bundleFunctions()` (infra/build/bundle.ts), one per function. */
export interface FunctionCode {
  mcp: string;
  'manifest-sync': string;
  'audit-ingest': string;
  admin: string;
}

export interface McpClusterStackProps extends StackProps {
  /** Folders holding each function's bundle; the app builds them with the project's esbuild before synth. */
  code: FunctionCode;
  /** @default 'dev' */
  stage?: string;
  /** Retain tables (deletion protection) and logs on delete. @default stage === 'prod' */
  retain?: boolean;
  /** The MCP function's size, deadlines and concurrency. */
  mcpFunction?: Omit<McpFunctionProps, 'codeDir' | 'logRetention' | 'logRemovalPolicy'>;
  /** @default 100 requests/s */
  throttlingRateLimit?: number;
  /** @default 200 */
  throttlingBurstLimit?: number;
  /** @default - no CORS */
  corsAllowOrigins?: string[];
  /** @default true */
  apiGatewayCloudWatchRole?: boolean;
  customDomain?: McpCustomDomainProps;
  /** A web ACL with a per-IP rate limit on the API stage. @default - none */
  waf?: { rateLimit?: number };
  /** @default one month */
  logRetention?: logs.RetentionDays;
  /** Alarm notifications: a new topic with this email subscribed, or an existing topic. @default - no actions */
  alarms?: { email?: string; topicArn?: string; serverErrorRatePercent?: number; p99LatencyMs?: number };
  /** Customer-managed key for both tables. @default AWS-managed encryption */
  tableEncryptionKeyArn?: string;
  /** Accept OAuth access tokens (JWTs) from this issuer besides API keys. @default - API keys only */
  oauth?: { issuer: string; audience?: string; jwksUri?: string };
  /** Scopes every caller needs. @default - none */
  requiredScopes?: string[];
  /** Private ranges manifest-only HTTP tools may reach (OUTBOUND_ALLOWED_CIDRS). @default - none */
  outboundAllowedCidrs?: string[];
  /** @default 90 */
  auditRetentionDays?: number;
  /**
   * Large tool results as resource links: how long a caller may read one back, and the size (bytes of text) over
   * which a result is linked. @default one hour, 65,536 bytes
   */
  resultLinks?: { retention?: Duration; thresholdBytes?: number };
}

/** `McpCluster-<stage>` */
export const stackNameFor = (stage: string) => `McpCluster-${stage}`;

/**
 * The whole cluster in one stack: the MCP function behind a REST API, the registry and audit tables, the tool
 * secrets prefix, the deploy-time manifest sync, and alarms with a dashboard. Every grant is made by the construct
 * that owns the resource, together with the environment variable that names it.
 */
export class McpClusterStack extends Stack {
  readonly stage: string;
  readonly registryTable: RegistryTable;
  readonly auditTable: AuditTable;
  readonly toolSecrets: ToolSecrets;
  readonly requestStateKey: RequestStateKey;
  readonly resultBucket: ResultBucket;
  readonly mcpFunction: McpFunction;
  readonly mcpApi: McpApi;
  readonly adminFunction: AdminFunction;
  readonly manifestSync: ManifestSync;
  readonly auditIngest: AuditIngest;
  readonly observability: McpObservability;
  readonly webAcl?: McpWebAcl;

  constructor(scope: Construct, id: string, props: McpClusterStackProps) {
    const stage = props.stage ?? 'dev';
    super(scope, id, {
      description: `mcp-cluster (${stage}): a stateless MCP endpoint on API Gateway + Lambda, with tool manifests in DynamoDB and credentials in Secrets Manager`,
      ...props,
    });
    this.stage = stage;
    const retain = props.retain ?? stage === 'prod';
    const logRemovalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = props.logRetention;
    Tags.of(this).add('project', 'mcp-cluster');
    Tags.of(this).add('stage', stage);

    const encryptionKey = props.tableEncryptionKeyArn
      ? kms.Key.fromKeyArn(this, 'TableKey', props.tableEncryptionKeyArn)
      : undefined;
    this.registryTable = new RegistryTable(this, 'Registry', { retain, encryptionKey });
    this.auditTable = new AuditTable(this, 'Audit', { retain, encryptionKey });
    this.toolSecrets = new ToolSecrets(this, 'ToolSecrets', { prefix: ToolSecrets.prefixFor(stage) });
    // Under the prefix, so the MCP function's grant on it covers the key; generated at deploy, never in the template.
    this.requestStateKey = new RequestStateKey(this, 'RequestStateKey', { toolSecrets: this.toolSecrets });

    this.mcpFunction = new McpFunction(this, 'Mcp', {
      ...props.mcpFunction,
      codeDir: props.code.mcp,
      logRetention,
      logRemovalPolicy,
    });
    const fn = this.mcpFunction.function;
    this.registryTable.bindReader(fn);
    this.toolSecrets.bindReader(fn);
    this.resultBucket = new ResultBucket(this, 'Results', { retention: props.resultLinks?.retention, retain });
    this.resultBucket.bindReadWrite(fn, { thresholdBytes: props.resultLinks?.thresholdBytes });
    const auditRetentionDays = props.auditRetentionDays ?? 90;
    this.auditTable.bindCounters(fn);
    this.auditTable.bindIdempotencyRecords(fn);
    this.auditIngest = new AuditIngest(this, 'AuditIngest', {
      codeDir: props.code['audit-ingest'],
      auditTable: this.auditTable,
      source: this.mcpFunction.logGroup,
      retentionDays: auditRetentionDays,
      logRetention,
      logRemovalPolicy,
    });
    if (props.oauth) {
      fn.addEnvironment('OAUTH_ISSUER', props.oauth.issuer);
      if (props.oauth.audience) fn.addEnvironment('OAUTH_AUDIENCE', props.oauth.audience);
      if (props.oauth.jwksUri) fn.addEnvironment('OAUTH_JWKS_URI', props.oauth.jwksUri);
    }
    if (props.requiredScopes?.length) fn.addEnvironment('REQUIRED_SCOPES', props.requiredScopes.join(' '));
    if (props.outboundAllowedCidrs?.length) {
      fn.addEnvironment('OUTBOUND_ALLOWED_CIDRS', props.outboundAllowedCidrs.join(','));
    }
    // Browser clients allowed by CORS are the origins the function accepts (others get 403, against DNS rebinding).
    if (props.corsAllowOrigins?.length) fn.addEnvironment('ALLOWED_ORIGINS', props.corsAllowOrigins.join(','));

    this.mcpApi = new McpApi(this, 'Endpoint', {
      handler: this.mcpFunction.target,
      integrationTimeout: this.mcpFunction.integrationTimeout,
      stageName: stage,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
      corsAllowOrigins: props.corsAllowOrigins,
      cloudWatchRole: props.apiGatewayCloudWatchRole,
      customDomain: props.customDomain,
      logRetention,
      logRemovalPolicy,
    });
    if (this.mcpApi.customDomainUrl) fn.addEnvironment('PUBLIC_BASE_URL', this.mcpApi.customDomainUrl);

    // The admin API: a function of its own, so the MCP function's grants stay as they are.
    this.adminFunction = new AdminFunction(this, 'Admin', {
      codeDir: props.code.admin,
      registryTable: this.registryTable,
      auditTable: this.auditTable,
      toolSecrets: this.toolSecrets,
      logRetention,
      logRemovalPolicy,
    });
    this.mcpApi.addAdminRoute(this.adminFunction.function);

    if (props.waf) {
      this.webAcl = new McpWebAcl(this, 'Waf', {
        stage: this.mcpApi.stage,
        rateLimit: props.waf.rateLimit,
        metricPrefix: stackNameFor(stage),
      });
    } else {
      Validations.of(this.mcpApi.stage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'WAF is opt-in (-c waf=true): a web ACL costs a monthly fee per stage; the stage throttles (rate and ' +
          'burst) and every request is authenticated by the function.',
      });
    }

    this.manifestSync = new ManifestSync(this, 'ManifestSync', {
      codeDir: props.code['manifest-sync'],
      registryTable: this.registryTable,
      logRetention,
      logRemovalPolicy,
    });

    this.observability = new McpObservability(this, 'Observability', {
      stage,
      api: this.mcpApi.api,
      fn,
      adminFn: this.adminFunction.function,
      functionLogGroup: this.mcpFunction.logGroup,
      tables: { Registry: this.registryTable.table, Audit: this.auditTable.table },
      auditQueues: { retry: this.auditIngest.retryQueue, deadLetter: this.auditIngest.deadLetterQueue },
      alarmEmail: props.alarms?.email,
      alarmTopicArn: props.alarms?.topicArn,
      serverErrorRatePercent: props.alarms?.serverErrorRatePercent,
      p99LatencyMs: props.alarms?.p99LatencyMs,
    });

    const output = (outputId: string, value: string, description: string) =>
      new CfnOutput(this, outputId, { value, description });
    output(
      'EndpointUrl',
      this.mcpApi.endpointUrl,
      'The MCP endpoint: give this URL to agents (POST, Streamable HTTP).',
    );
    output(
      'AdminUrl',
      this.mcpApi.adminUrl ?? '',
      'The admin API: tenant admins point the CLI at the endpoint (--endpoint) with a tenant admin key.',
    );
    output('RegistryTableName', this.registryTable.table.tableName, 'Tool manifests and API keys.');
    output('AuditTableName', this.auditTable.table.tableName, 'One record per tools/call (governance writes it).');
    output('ResultBucketName', this.resultBucket.bucket.bucketName, 'Large tool results, read back as resource links.');
    output('SecretsPrefix', this.toolSecrets.prefix, 'Create tool credentials under this Secrets Manager prefix.');
    output('McpFunctionName', fn.functionName, 'The MCP Lambda function.');
    output('McpLogGroupName', this.mcpFunction.logGroup.logGroupName, "The MCP function's log group.");
    output('DashboardUrl', this.observability.dashboardUrl, 'CloudWatch dashboard of the cluster.');
  }
}
