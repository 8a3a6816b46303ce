/**
 * Synthesizes the cluster stack for infra tests, the way `cdk synth` does: the context of cdk.json (feature flags)
 * plus the test's own, and function code from the project's esbuild build. The build runs once per test file, into
 * its own folder under the OS temp dir (two builds into one folder at once would race).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { bundleFunctions } from '../../infra/build/bundle.js';
import { addCluster } from '../../infra/cdk/app.js';
import type { FunctionCode, McpClusterStack } from '../../infra/cdk/mcp-cluster-stack.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The feature flags and defaults the CLI would pass from cdk.json. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(join(ROOT, 'cdk.json'), 'utf8'),
).context;

let code: Promise<FunctionCode> | undefined;

/** The function bundles, built once per process. */
export function functionCode(): Promise<FunctionCode> {
  if (!code) {
    const outdir = mkdtempSync(join(tmpdir(), 'mcp-cluster-infra-test-'));
    process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
    code = bundleFunctions({ outdir }).then((r) => r.dirs);
  }
  return code;
}

export interface SynthOptions {
  /** Apply cdk-nag's AwsSolutionsChecks (synth fails on any unacknowledged finding). @default false */
  nag?: boolean;
  /** An account and region, as `cdk deploy` with credentials gives them. @default environment-agnostic */
  env?: Environment;
}

export interface Synthesized {
  app: App;
  stack: McpClusterStack;
  template: Template;
}

/** The stack for this context (`{ stage: 'prod', waf: 'true' }`, as `-c` would give it), synthesized. */
export async function synthCluster(
  context: Record<string, unknown> = {},
  options: SynthOptions = {},
): Promise<Synthesized> {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context } });
  const stack = addCluster(app, await functionCode(), { nag: options.nag ?? false, env: options.env });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Builds the app without synthesizing it (for cdk-nag's direct `validateScope`). */
export async function buildCluster(
  context: Record<string, unknown> = {},
  env?: Environment,
): Promise<{ app: App; stack: McpClusterStack }> {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context } });
  return { app, stack: addCluster(app, await functionCode(), { nag: false, env }) };
}

/** A CloudFormation value as text: `Fn::Join` joined, `Ref`s as `<Name>`, `Fn::GetAtt`s as `<Name.Attr>` (as cdk-nag writes them). */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('Ref' in v) return `<${String(v.Ref)}>`;
    if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in v) {
      const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(separator);
    }
  }
  return JSON.stringify(value);
}

export interface FoundStatement {
  /** Logical id of the resource holding the policy. */
  holder: string;
  /** Logical ids of the roles the policy is attached to (IAM policies), or the role itself (inline policies). */
  roles: string[];
  actions: string[];
  resources: string[];
  effect: string;
}

const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Every statement of every identity policy in the template: AWS::IAM::Policy, ManagedPolicy and roles' inline policies. */
export function iamStatements(template: Template): FoundStatement[] {
  const found: FoundStatement[] = [];
  const add = (holder: string, roles: unknown[], document: unknown) => {
    for (const statement of asList((document as { Statement?: unknown })?.Statement) as Record<string, unknown>[]) {
      found.push({
        holder,
        roles: roles.map((role) => flatten(role).replace(/^<|>$/g, '')),
        actions: asList(statement.Action ?? statement.NotAction).map(flatten),
        resources: asList(statement.Resource ?? statement.NotResource).map(flatten),
        effect: String(statement.Effect),
      });
    }
  };
  for (const [id, resource] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
    add(id, asList(resource.Properties.Roles), resource.Properties.PolicyDocument);
  }
  for (const [id, resource] of Object.entries(template.findResources('AWS::IAM::ManagedPolicy'))) {
    add(id, asList(resource.Properties.Roles), resource.Properties.PolicyDocument);
  }
  for (const [id, resource] of Object.entries(template.findResources('AWS::IAM::Role'))) {
    for (const policy of asList(resource.Properties.Policies) as { PolicyDocument: unknown }[]) {
      add(id, [{ Ref: id }], policy.PolicyDocument);
    }
  }
  return found;
}

/** Logical id of the one resource of `type` whose properties match `props` (a `Match` pattern or a plain object). */
export function logicalIdOf(template: Template, type: string, props: unknown = {}): string {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  if (ids.length !== 1) throw new Error(`expected one ${type} matching, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0]!;
}
