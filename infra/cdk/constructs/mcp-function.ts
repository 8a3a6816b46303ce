import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Config } from '../../../shared/config/config.js';
import { BundledFunction } from './bundled-function.js';

export const MCP_FUNCTION_DEFAULTS = {
  memorySize: 1024,
  /** Longest a request answered as JSON may take: a response sent whole keeps API Gateway's 29 s budget. */
  timeoutSeconds: 28,
  /**
   * Longest a `tools/call` answered as a live event stream may take: the API integration's timeout (STREAM transfer
   * mode allows up to 15 minutes). The function's own timeout is 1 s shorter, so that it ends the stream itself.
   */
  streamingTimeoutSeconds: 300,
  toolTimeoutMs: 10_000,
  /** Kept back from the function's deadline to answer after a tool times out (DEADLINE_MARGIN_MS). */
  deadlineMarginMs: 1_000,
  logLevel: 'info',
} as const satisfies { logLevel: Config['LOG_LEVEL'] } & Record<string, unknown>;

/** The longest JSON answer that still reaches the client before API Gateway's 29 s for a response sent whole. */
const MAX_JSON_TIMEOUT_SECONDS = 28;
/** API Gateway streams a response for up to 15 minutes, which is also Lambda's longest timeout. */
const MAX_STREAMING_TIMEOUT_SECONDS = 900;
/** How much sooner than the API integration the function times out, so that its watchdog ends the stream. */
const INTEGRATION_MARGIN_SECONDS = 1;

export interface McpFunctionProps {
  /** `bundleFunctions().dirs.mcp` */
  codeDir: string;
  /** @default 1024 */
  memorySize?: number;
  /** Longest a request answered as JSON may take (JSON_RESPONSE_TIMEOUT_MS); at most 28 s. @default 28 s */
  jsonResponseTimeout?: Duration;
  /**
   * Longest a `tools/call` answered as a live event stream may take: the API integration's timeout, between 30 s and
   * 15 minutes. The function's timeout is 1 s less. @default 300 s
   */
  streamingTimeout?: Duration;
  /** Default tool deadline (TOOL_TIMEOUT_MS); below the JSON response timeout minus the deadline margin. @default 10 000 */
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
  /** The timeout API Gateway's integration must have: the streaming timeout, 1 s longer than the function's own. */
  readonly integrationTimeout: Duration;

  constructor(scope: Construct, id: string, props: McpFunctionProps) {
    super(scope, id);
    const jsonTimeout = props.jsonResponseTimeout ?? Duration.seconds(MCP_FUNCTION_DEFAULTS.timeoutSeconds);
    const streamingTimeout = props.streamingTimeout ?? Duration.seconds(MCP_FUNCTION_DEFAULTS.streamingTimeoutSeconds);
    const toolTimeoutMs = props.toolTimeoutMs ?? MCP_FUNCTION_DEFAULTS.toolTimeoutMs;
    const problems: string[] = [];
    if (jsonTimeout.toMilliseconds() > MAX_JSON_TIMEOUT_SECONDS * 1_000) {
      problems.push(
        `jsonResponseTimeout is ${jsonTimeout.toSeconds()} s; API Gateway answers 504 after 29 s, so at most 28 s`,
      );
    }
    const streamingSeconds = streamingTimeout.toSeconds();
    if (streamingSeconds < 30 || streamingSeconds > MAX_STREAMING_TIMEOUT_SECONDS) {
      problems.push(`streamingTimeout is ${streamingSeconds} s; it must be 30 s to 15 minutes`);
    }
    if (toolTimeoutMs > jsonTimeout.toMilliseconds() - MCP_FUNCTION_DEFAULTS.deadlineMarginMs) {
      problems.push(
        `toolTimeoutMs (${toolTimeoutMs}) must leave 1 s before the ${jsonTimeout.toSeconds()} s JSON response timeout`,
      );
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
      timeout: Duration.seconds(streamingSeconds - INTEGRATION_MARGIN_SECONDS),
      tracing: true,
      reservedConcurrentExecutions: reserved,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      environment: {
        TOOL_TIMEOUT_MS: String(toolTimeoutMs),
        DEADLINE_MARGIN_MS: String(MCP_FUNCTION_DEFAULTS.deadlineMarginMs),
        JSON_RESPONSE_TIMEOUT_MS: String(jsonTimeout.toMilliseconds()),
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
    this.integrationTimeout = Duration.seconds(streamingSeconds);
  }
}
