import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { bundleFunctions } from '../build/bundle.js';
import { parseClusterContext, stackPropsFromContext } from './context.js';
import { type FunctionCode, McpClusterStack, stackNameFor } from './mcp-cluster-stack.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where synth puts the function bundles before CDK stages them as assets (git-ignored with dist/). */
export const CDK_BUNDLE_DIR = join(ROOT, 'dist/cdk-functions');

/**
 * An account and region only when the CLI resolved them from credentials; otherwise the stack is environment
 * agnostic, so `cdk synth` works offline with no credentials (the stack does no context lookups).
 */
export function environmentFromProcess(env: NodeJS.ProcessEnv = process.env): Environment | undefined {
  return env.CDK_DEFAULT_ACCOUNT ? { account: env.CDK_DEFAULT_ACCOUNT, region: env.CDK_DEFAULT_REGION } : undefined;
}

export interface AddClusterOptions {
  /** Run cdk-nag's AWS Solutions checks at synth; any unacknowledged finding fails synth. @default true */
  nag?: boolean;
  env?: Environment;
}

/** Adds the cluster stack for the app's context (`-c stage=...` and friends) to `app`. */
export function addCluster(app: App, code: FunctionCode, options: AddClusterOptions = {}): McpClusterStack {
  const context = parseClusterContext((key) => app.node.tryGetContext(key));
  const stack = new McpClusterStack(app, stackNameFor(context.stage), {
    ...stackPropsFromContext(context),
    code,
    env: options.env,
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}

async function main(): Promise<void> {
  const app = new App();
  // Check the context before building anything: a typo should cost milliseconds, not a bundle.
  parseClusterContext((key) => app.node.tryGetContext(key));
  const { dirs } = await bundleFunctions({ outdir: CDK_BUNDLE_DIR });
  addCluster(app, dirs, { env: environmentFromProcess() });
  app.synth();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // Configuration problems are the user's to fix: print them plainly, without a stack trace.
    console.error(code === 'CONFIG_INVALID' ? (error as Error).message : error);
    process.exit(1);
  }
}
