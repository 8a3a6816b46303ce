import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The AWS SDK's default credential provider, as the Lambda bundles have it (infra/build/bundle.ts substitutes this
 * module for `@aws-sdk/credential-provider-node`). A Lambda function's credentials are its execution role's, and
 * Lambda always puts them in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), where
 * the SDK's own chain finds them first. Only that provider is bundled: the rest of the chain (SSO, shared config
 * files, credential processes, web identity, instance metadata) is neither shipped nor loaded at a cold start.
 */
export function defaultProvider(init?: Parameters<typeof fromEnv>[0]): ReturnType<typeof fromEnv> {
  return fromEnv(init);
}
