import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { REQUEST_STATE_SECRET } from '../../../shared/mcp/input/state-keys.js';
import type { ToolSecrets } from './tool-secrets.js';

/** The key id the generated secret starts with; rotation adds the next ones (`k2`, ...) by hand. */
export const FIRST_REQUEST_STATE_KEY_ID = 'k1';

export interface RequestStateKeyProps {
  /** The stack's secrets prefix: the secret is `<prefix>request-state-key`, which the MCP function's grant covers. */
  toolSecrets: ToolSecrets;
}

/**
 * The HMAC key that seals the `requestState` of tool calls waiting for the client's input (`{"signing":"k1","k1":...}`,
 * read by shared/mcp/input/state-keys.ts). Secrets Manager generates the value at deploy time, so it never appears in
 * the template; it is encrypted with the account's `aws/secretsmanager` key, like the tool secrets, and read by the
 * MCP function through its grant on the stack's prefix. Rotation is by hand (docs/deploy.md).
 */
export class RequestStateKey extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: RequestStateKeyProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: `${props.toolSecrets.prefix}${REQUEST_STATE_SECRET}`,
      description: 'mcp-cluster: the HMAC keys that seal requestState of tool calls waiting for client input',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ signing: FIRST_REQUEST_STATE_KEY_ID }),
        generateStringKey: FIRST_REQUEST_STATE_KEY_ID,
        passwordLength: 64,
        excludePunctuation: true,
      },
      // Worth nothing once the states it sealed have expired (REQUEST_STATE_TTL_MS): a new stack generates a new one.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The key is rotated by hand, by design: a new key id is added beside the old one, becomes the signing key ' +
        'once every instance has read it, and the old one is dropped after the states it signed have expired ' +
        '(docs/deploy.md). A rotation Lambda replacing the whole value would break tool calls in flight.',
    });
  }
}
