import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { Config } from '../../../shared/config/config.js';
import { nagName } from './nag.js';

const PREFIX_ENV = 'SECRETS_PREFIX' satisfies keyof Config;

export interface ToolSecretsProps {
  /** Name prefix of every tool credential of this stack, ending in `/`: `mcp-cluster/<stage>/`. */
  prefix: string;
}

/**
 * Tool credentials live in Secrets Manager under one prefix per stack. The stack creates no tool credentials (operators
 * do, with values the template never sees; the one secret it makes there is the generated request-state key); it grants
 * readers that prefix and nothing else.
 */
export class ToolSecrets extends Construct {
  static prefixFor(stage: string): string {
    return `mcp-cluster/${stage}/`;
  }

  readonly prefix: string;
  /** ARN pattern of the secrets under the prefix (Secrets Manager appends a random suffix to every secret ARN). */
  readonly secretArnPattern: string;

  constructor(scope: Construct, id: string, props: ToolSecretsProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9/_+=.@-]+\/$/.test(props.prefix)) {
      throw new Error(`ToolSecrets: prefix "${props.prefix}" must be a secret name prefix ending in "/"`);
    }
    this.prefix = props.prefix;
    this.secretArnPattern = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${props.prefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * For the admin API: sets SECRETS_PREFIX and lets the function create secrets and store new values under the prefix,
   * and read their metadata (DescribeSecret), never their values. Which names below the prefix a tenant admin may
   * write (`<prefix><tenant>/…` only) is enforced by the function.
   */
  bindWriter(fn: lambda.Function): void {
    fn.addEnvironment(PREFIX_ENV, this.prefix);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'WriteToolSecretsUnderPrefix',
        actions: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [this.secretArnPattern],
      }),
    );
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagName(this, this.secretArnPattern)}]`,
        reason:
          `Tenant secrets are any secret under this stack's prefix "${this.prefix}" (<prefix><tenant>/<name>); Secrets ` +
          'Manager appends a random suffix to secret ARNs, so the prefix needs a trailing wildcard. No value is readable.',
      });
    }
  }

  /** Sets SECRETS_PREFIX and lets the function read (GetSecretValue, DescribeSecret) the prefix's secrets only. */
  bindReader(fn: lambda.Function): void {
    fn.addEnvironment(PREFIX_ENV, this.prefix);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadToolSecretsUnderPrefix',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [this.secretArnPattern],
      }),
    );
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagName(this, this.secretArnPattern)}]`,
        reason:
          `Tool credentials are any secret under this stack's prefix "${this.prefix}"; Secrets Manager appends a ` +
          'random suffix to secret ARNs, so the prefix needs a trailing wildcard. Nothing outside the prefix is readable.',
      });
    }
  }
}
