import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { isCidr } from '../../shared/config/config.js';
import { ConfigError } from '../../shared/errors/errors.js';
import { MCP_API_DEFAULTS } from './constructs/mcp-api.js';
import { MCP_FUNCTION_DEFAULTS } from './constructs/mcp-function.js';
import { OBSERVABILITY_DEFAULTS } from './constructs/observability.js';
import { WEB_ACL_DEFAULTS } from './constructs/web-acl.js';
import type { McpClusterStackProps } from './mcp-cluster-stack.js';

/**
 * The CDK app's options, read from context (`-c key=value` on the command line, or `"context"` in cdk.json) and
 * checked with one schema: every problem is reported at once. Values given on the command line arrive as strings,
 * so numbers and booleans are accepted in either form.
 */

const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const RETENTION_DAYS = new Set<number>(Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'));

/** `true`/`false`, as booleans or as the strings the command line passes. */
const boolish = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')], {
  error: 'must be true or false',
});

/** A whole number, given as a number or as a decimal string. */
const int = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value),
    z
      .number({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a whole number' : undefined) })
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`),
  );

const text = (pattern: RegExp, what: string) => z.string().trim().regex(pattern, `must be ${what}`);

/** A list given as a JSON array (cdk.json) or a comma-separated string (command line). */
const list = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)
      : value,
  z.array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, 'must be origins such as https://app.example.com')).min(1),
);

export const contextSchema = z
  .object({
    /** Deployment stage: names the stack (`McpCluster-<stage>`), the secrets prefix and the API stage. */
    stage: text(STAGE_PATTERN, 'lower-case letters, digits and hyphens, starting with a letter (max 20)').default(
      'dev',
    ),
    /** Keep tables (deletion protection, RemovalPolicy.RETAIN) and logs when the stack is deleted. Default: stage is prod. */
    retain: boolish.optional(),
    memorySize: int(128, 10_240).default(MCP_FUNCTION_DEFAULTS.memorySize),
    /** Longest a request answered as JSON may take; a response sent whole gets 29 s from API Gateway, so at most 28. */
    timeoutSeconds: int(3, 28).default(MCP_FUNCTION_DEFAULTS.timeoutSeconds),
    /**
     * Longest a `tools/call` answered as a live event stream may take: the API integration's timeout (STREAM transfer
     * mode: up to 15 minutes); the function times out 1 s before it.
     */
    streamingTimeoutSeconds: int(30, 900).default(MCP_FUNCTION_DEFAULTS.streamingTimeoutSeconds),
    /** Default tool deadline (a tool can set its own); must leave time to answer before a JSON answer's limit. */
    toolTimeoutMs: int(100, 27_000).default(MCP_FUNCTION_DEFAULTS.toolTimeoutMs),
    reservedConcurrency: int(1, 100_000).optional(),
    provisionedConcurrency: int(1, 100_000).optional(),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default(MCP_FUNCTION_DEFAULTS.logLevel),
    /** Steady-state requests per second for the whole API stage. */
    throttlingRateLimit: int(1, 1_000_000).default(MCP_API_DEFAULTS.throttlingRateLimit),
    throttlingBurstLimit: int(1, 1_000_000).default(MCP_API_DEFAULTS.throttlingBurstLimit),
    logRetentionDays: int(1, 9_999)
      .refine((days) => RETENTION_DAYS.has(days), {
        message: `must be one of CloudWatch Logs' retention periods: ${[...RETENTION_DAYS].join(', ')}`,
      })
      .default(RetentionDays.ONE_MONTH),
    /** Origins allowed to call from a browser; no CORS unless set. */
    corsOrigins: list.optional(),
    /** Create the account's API Gateway → CloudWatch Logs role (needed once per account and region for access logs). */
    apiGatewayCloudWatchRole: boolish.default(true),
    domainName: text(DOMAIN_NAME, 'a lower-case DNS name such as mcp.example.com').optional(),
    certificateArn: text(CERTIFICATE_ARN, 'an ACM certificate ARN (in the stack region)').optional(),
    hostedZoneId: text(/^Z[A-Z0-9]{1,32}$/, 'a Route 53 hosted zone id such as Z0123456789ABC').optional(),
    hostedZoneName: text(DOMAIN_NAME, 'the hosted zone name such as example.com').optional(),
    waf: boolish.default(false),
    /** Requests one client IP may make in any 5 minutes before WAF blocks it. */
    wafRateLimit: int(10, 2_000_000_000).default(WEB_ACL_DEFAULTS.rateLimit),
    alarmEmail: z.email({ error: 'must be an email address' }).optional(),
    alarmTopicArn: text(SNS_TOPIC_ARN, 'an SNS topic ARN').optional(),
    /** p99 API latency, in ms, above which the latency alarm fires. */
    alarmP99LatencyMs: int(100, 60_000).default(OBSERVABILITY_DEFAULTS.p99LatencyMs),
    /** Share of API requests answered 5xx, in percent, above which the error-rate alarm fires. */
    alarm5xxRatePercent: int(1, 100).default(OBSERVABILITY_DEFAULTS.serverErrorRatePercent),
    /** Customer-managed KMS key for both tables; AWS-managed encryption when unset. */
    tableKmsKeyArn: text(KMS_KEY_ARN, 'a KMS key ARN').optional(),
    /** OAuth 2.1 / OIDC issuer whose access tokens are accepted besides API keys. */
    oauthIssuer: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    /** Audience tokens must carry (RFC 8707); defaults to the custom domain's /mcp URL. */
    oauthAudience: z.string().trim().min(1).optional(),
    /** JWKS URL, when the issuer publishes no discovery document. */
    oauthJwksUri: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    /** Scopes every caller needs (comma-separated). */
    requiredScopes: z
      .string()
      .trim()
      .regex(/^[\w:.\-/]+(,[\w:.\-/]+)*$/, 'must be comma-separated scopes')
      .optional(),
    /** Days audit records are kept. */
    auditRetentionDays: int(1, 3_650).default(90),
    /**
     * Private ranges (comma-separated CIDRs) manifest-only HTTP tools may reach, e.g. a VPC's internal APIs; none by
     * default. Link-local and cloud metadata addresses stay refused whatever is listed.
     */
    outboundAllowedCidrs: z
      .string()
      .trim()
      .regex(
        /^[0-9A-Fa-f:.]+\/\d{1,3}(\s*,\s*[0-9A-Fa-f:.]+\/\d{1,3})*$/,
        'must be comma-separated CIDRs such as 10.20.0.0/16',
      )
      .refine((value) => value.split(',').every((cidr) => isCidr(cidr.trim())), 'must be valid CIDRs')
      .optional(),
  })
  .superRefine(
    (c, ctx) => {
      const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
      if (c.domainName && !c.certificateArn) problem('certificateArn', 'is required with domainName');
      if (c.certificateArn && !c.domainName) problem('domainName', 'is required with certificateArn');
      if (c.hostedZoneId && !c.hostedZoneName) problem('hostedZoneName', 'is required with hostedZoneId');
      if (c.hostedZoneName && !c.hostedZoneId) problem('hostedZoneId', 'is required with hostedZoneName');
      if (c.hostedZoneId && !c.domainName) problem('domainName', 'is required with hostedZoneId');
      if (c.domainName && c.hostedZoneName && !`.${c.domainName}`.endsWith(`.${c.hostedZoneName}`)) {
        problem('domainName', `must be in the hosted zone ${c.hostedZoneName}`);
      }
      if (c.toolTimeoutMs > c.timeoutSeconds * 1_000 - MCP_FUNCTION_DEFAULTS.deadlineMarginMs) {
        problem(
          'toolTimeoutMs',
          `must leave ${MCP_FUNCTION_DEFAULTS.deadlineMarginMs} ms before the ${c.timeoutSeconds} s JSON response timeout (timeoutSeconds)`,
        );
      }
      if (c.provisionedConcurrency && c.reservedConcurrency && c.provisionedConcurrency > c.reservedConcurrency) {
        problem('provisionedConcurrency', `must not exceed reservedConcurrency (${c.reservedConcurrency})`);
      }
      if (c.throttlingBurstLimit < c.throttlingRateLimit) {
        problem('throttlingBurstLimit', `must be at least throttlingRateLimit (${c.throttlingRateLimit})`);
      }
      if (c.alarmEmail && c.alarmTopicArn) problem('alarmEmail', 'give alarmEmail or alarmTopicArn, not both');
      if (c.oauthIssuer && !c.oauthAudience && !c.domainName) {
        problem('oauthAudience', 'is required with oauthIssuer unless domainName gives the endpoint a stable URL');
      }
      if ((c.oauthAudience || c.oauthJwksUri) && !c.oauthIssuer)
        problem('oauthIssuer', 'is required with oauthAudience/oauthJwksUri');
      // Run even when a field failed, so one run reports every problem (values of failed fields may be raw).
    },
    { when: () => true },
  );

export type ClusterContext = z.output<typeof contextSchema>;

/** The context keys the app reads (everything else in the context belongs to the CDK). */
export const CONTEXT_KEYS = Object.keys(contextSchema.shape) as (keyof ClusterContext)[];

/** Reads and checks the app's context; throws one ConfigError that lists every problem. */
export function parseClusterContext(read: (key: string) => unknown): ClusterContext {
  const raw = Object.fromEntries(
    CONTEXT_KEYS.map((key) => [key, read(key)]).filter(([, value]) => value !== undefined),
  );
  const result = contextSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(context)';
      const given = issue.path.length === 1 ? raw[String(issue.path[0])] : undefined;
      return `${key}: ${issue.message}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}`;
    });
    throw new ConfigError(`Invalid context (-c key=value, or "context" in cdk.json):\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

/** The stack's properties for a checked context (everything but the function code, which the build provides). */
export function stackPropsFromContext(c: ClusterContext): Omit<McpClusterStackProps, 'code'> {
  return {
    stage: c.stage,
    retain: c.retain,
    mcpFunction: {
      memorySize: c.memorySize,
      jsonResponseTimeout: Duration.seconds(c.timeoutSeconds),
      streamingTimeout: Duration.seconds(c.streamingTimeoutSeconds),
      toolTimeoutMs: c.toolTimeoutMs,
      reservedConcurrency: c.reservedConcurrency,
      provisionedConcurrency: c.provisionedConcurrency,
      logLevel: c.logLevel,
    },
    oauth: c.oauthIssuer ? { issuer: c.oauthIssuer, audience: c.oauthAudience, jwksUri: c.oauthJwksUri } : undefined,
    requiredScopes: c.requiredScopes?.split(','),
    outboundAllowedCidrs: c.outboundAllowedCidrs?.split(',').map((cidr) => cidr.trim()),
    auditRetentionDays: c.auditRetentionDays,
    throttlingRateLimit: c.throttlingRateLimit,
    throttlingBurstLimit: c.throttlingBurstLimit,
    corsAllowOrigins: c.corsOrigins,
    apiGatewayCloudWatchRole: c.apiGatewayCloudWatchRole,
    customDomain:
      c.domainName && c.certificateArn
        ? {
            domainName: c.domainName,
            certificateArn: c.certificateArn,
            hostedZone:
              c.hostedZoneId && c.hostedZoneName
                ? { hostedZoneId: c.hostedZoneId, zoneName: c.hostedZoneName }
                : undefined,
          }
        : undefined,
    waf: c.waf ? { rateLimit: c.wafRateLimit } : undefined,
    logRetention: c.logRetentionDays as RetentionDays,
    alarms: {
      email: c.alarmEmail,
      topicArn: c.alarmTopicArn,
      serverErrorRatePercent: c.alarm5xxRatePercent,
      p99LatencyMs: c.alarmP99LatencyMs,
    },
    tableEncryptionKeyArn: c.tableKmsKeyArn,
  };
}
