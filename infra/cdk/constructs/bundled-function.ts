import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The runtime every function of the cluster targets (the esbuild build in infra/build targets node22 too). */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_22_X;

export interface BundledFunctionProps {
  /** A folder from `bundleFunctions()`: `index.mjs` (+ source map), handler `index.handler`. */
  codeDir: string;
  description: string;
  /** @default 256 */
  memorySize?: number;
  /** @default 30 seconds */
  timeout?: Duration;
  /** X-Ray active tracing. @default false */
  tracing?: boolean;
  environment?: Record<string, string>;
  reservedConcurrentExecutions?: number;
  /** @default one month */
  logRetention?: logs.RetentionDays;
  /** What happens to the log group when the stack is deleted. @default RemovalPolicy.DESTROY */
  logRemovalPolicy?: RemovalPolicy;
}

/**
 * A Lambda function built by the project's own esbuild (no Docker at synth): Node 22 on arm64, JSON logs into its
 * own log group with a retention, source maps on. Its role starts empty: no AWS managed policy, only the right to
 * write to its own log group; everything else is granted by the construct that owns the resource (`bind*()`).
 */
export class BundledFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role: ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(props.codeDir),
      handler: 'index.handler',
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
    });
    // Keep the function (and its invocations) after the policies that let it work.
    this.function.node.addDependency(this.role);

    if (props.tracing) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active tracing: Lambda adds xray:PutTraceSegments and xray:PutTelemetryRecords, which X-Ray only grants ' +
          'on Resource "*" (the actions have no resource-level permissions). No other statement uses "*".',
      });
    }
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the project builds for (esbuild target node22, CI on Node 22); moving to ' +
        'Node.js 24 is a deliberate upgrade of build target, runtime and tests together.',
    });
  }
}
