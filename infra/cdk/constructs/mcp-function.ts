import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Config } from '../../../shared/config/config.js';
import { BundledFunction } from './bundled-function.js';

export const MCP_FUNCTION_DEFAULTS = {
  memorySize: 1024,
  /** API Gateway's integration timeout is 29 s: the function must answer before it. */
  timeoutSeconds: 28,
  toolTimeoutMs: 10_000,
  /** Kept back from the function's deadline to answer after a tool times out (DEADLINE_MARGIN_MS). */
  deadlineMarginMs: 1_000,
  logLevel: 'info',
} as const satisfies { logLevel: Config['LOG_LEVEL'] } & Record<string, unknown>;

/** The largest timeout that still lets the function answer before API Gateway gives up (29 s). */
const MAX_TIMEOUT_SECONDS = 28;

export interface McpFunctionProps {
  /** `bundleFunctions().dirs.mcp` */
  codeDir: string;
  /** @default 1024 */
  memorySize?: number;
  /** At most 28 s (API Gateway's integration timeout is 29 s). @default 28 s */
  timeout?: Duration;
  /** Default tool deadline (TOOL_TIMEOUT_MS); below the timeout minus the deadline margin. @default 10 000 */
  toolTimeoutMs?: number;
  /** @default - unreserved */
  reservedConcurrency?: number;
  /** Instances kept initialised, through the `live` alias. @default - none (no alias) */
  provisionedConcurrency?: number;
  /** @default 'info' */
  logLevel?: Config['LOG_LEVEL'];
  /** @default one month */
  logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  logRemovalPolicy?: RemovalPolicy;
}

/**
 * The MCP endpoint function (functions/mcp/handler.ts). Its table and secret access, and the environment variables
 * naming them, come from the constructs that own those resources (`registryTable.bindReader(fn)` and so on).
 */
export class McpFunction extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;
  /** The `live` alias when provisioned concurrency is set. */
  readonly alias?: lambda.Alias;
  /** What API Gateway invokes: the alias when there is one, so requests use the provisioned instances. */
  readonly target: lambda.IFunction;

  constructor(scope: Construct, id: string, props: McpFunctionProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(MCP_FUNCTION_DEFAULTS.timeoutSeconds);
    const toolTimeoutMs = props.toolTimeoutMs ?? MCP_FUNCTION_DEFAULTS.toolTimeoutMs;
    const problems: string[] = [];
    if (timeout.toSeconds() > MAX_TIMEOUT_SECONDS) {
      problems.push(`timeout is ${timeout.toSeconds()} s; API Gateway answers 504 after 29 s, so at most 28 s`);
    }
    if (toolTimeoutMs > timeout.toMilliseconds() - MCP_FUNCTION_DEFAULTS.deadlineMarginMs) {
      problems.push(`toolTimeoutMs (${toolTimeoutMs}) must leave 1 s before the ${timeout.toSeconds()} s timeout`);
    }
    const { provisionedConcurrency: provisioned, reservedConcurrency: reserved } = props;
    if (provisioned !== undefined && reserved !== undefined && provisioned > reserved) {
      problems.push(`provisionedConcurrency (${provisioned}) exceeds reservedConcurrency (${reserved})`);
    }
    if (problems.length) throw new Error(`McpFunction: ${problems.join('; ')}`);

    const bundled = new BundledFunction(this, 'Bundled', {
      codeDir: props.codeDir,
      description: 'mcp-cluster: the MCP endpoint (stateless Streamable HTTP behind API Gateway)',
      memorySize: props.memorySize ?? MCP_FUNCTION_DEFAULTS.memorySize,
      timeout,
      tracing: true,
      reservedConcurrentExecutions: reserved,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      environment: {
        TOOL_TIMEOUT_MS: String(toolTimeoutMs),
        DEADLINE_MARGIN_MS: String(MCP_FUNCTION_DEFAULTS.deadlineMarginMs),
        LOG_LEVEL: props.logLevel ?? MCP_FUNCTION_DEFAULTS.logLevel,
      } satisfies Partial<Record<keyof Config, string>>,
    });
    this.function = bundled.function;
    this.logGroup = bundled.logGroup;

    if (provisioned !== undefined) {
      this.alias = new lambda.Alias(this, 'Live', {
        aliasName: 'live',
        version: this.function.currentVersion,
        provisionedConcurrentExecutions: provisioned,
      });
    }
    this.target = this.alias ?? this.function;
  }
}
