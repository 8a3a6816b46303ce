/**
 * Which cluster the CLI talks to, and the AWS clients for it:
 *
 * - the local cluster (default): `.mcp-local/cluster.json` (or `--local-dir DIR`), written by `npm start` while it runs;
 * - a deployed stack: `--stack McpCluster-dev [--region R]`, tables and secrets prefix from its CloudFormation outputs;
 * - explicit names: `--registry-table T --audit-table T --secrets-prefix P [--region R]`.
 *
 * Deployed targets use the AWS SDK's default credential chain (environment, ~/.aws profiles, SSO, instance roles).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import type { SecretsTarget } from '../../shared/admin/secrets.js';
import type { TableRef } from '../../shared/store/items.js';
import { UsageError } from './args.js';

// The CLI runs on Node 20 too; the SDK's notice about it is noise for an operator.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The stack's CfnOutput ids (infra/cdk/mcp-cluster-stack.ts). */
export const STACK_OUTPUTS = {
  registryTable: 'RegistryTableName',
  auditTable: 'AuditTableName',
  secretsPrefix: 'SecretsPrefix',
} as const;

/** Written by `npm start` (infra/local/cluster.ts `LocalClusterFile`) and removed when it stops. */
const CLUSTER_FILE = 'cluster.json';
const localClusterFileSchema = z.object({
  url: z.string(),
  region: z.string().min(1),
  dynamodbEndpoint: z.string().min(1),
  secretsManagerEndpoint: z.string().min(1),
  registryTable: z.string().min(1),
  auditTable: z.string().min(1),
  secretsPrefix: z.string(),
});

/** The target could not be resolved or reached: an operational failure (exit 1), not bad usage. */
export class TargetError extends Error {
  readonly code = 'TARGET';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetError';
  }
}

export interface TargetFlags {
  /** The cluster's URL, for the admin API (infra/cli/cli.ts); excludes every other target flag. */
  endpoint?: string;
  adminKeyFile?: string;
  localDir?: string;
  stack?: string;
  region?: string;
  registryTable?: string;
  auditTable?: string;
  secretsPrefix?: string;
}

export interface Target {
  kind: 'local' | 'stack' | 'tables';
  /** For messages: `the local cluster (.mcp-local)`, `stack McpCluster-dev (eu-west-1)`. */
  label: string;
  region?: string;
  registryTable?: string;
  auditTable?: string;
  secretsPrefix?: string;
  /** The MCP endpoint, when known (the local cluster's). */
  url?: string;
  /** Endpoints of the local services, to name them when they cannot be reached. */
  endpoints?: string[];
  /** The registry table and a client for it; a TargetError when the target does not name one. */
  registry(): TableRef;
  audit(): TableRef;
  secrets(): SecretsTarget;
  close(): void;
}

interface ResolvedNames {
  kind: Target['kind'];
  label: string;
  region?: string;
  registryTable?: string;
  auditTable?: string;
  secretsPrefix?: string;
  url?: string;
  local?: { dynamodbEndpoint: string; secretsManagerEndpoint: string };
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Checks that the flags name one target. Usage errors only: nothing is read. */
export function checkTargetFlags(flags: TargetFlags): void {
  const explicit = flags.registryTable ?? flags.auditTable ?? flags.secretsPrefix;
  if (flags.endpoint !== undefined) {
    if (
      flags.stack !== undefined ||
      explicit !== undefined ||
      flags.localDir !== undefined ||
      flags.region !== undefined
    ) {
      throw new UsageError(
        '--endpoint goes through the admin API: it does not go with --stack, --local-dir, --region or explicit table names',
      );
    }
    let url: URL | undefined;
    try {
      url = new URL(flags.endpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new UsageError(`--endpoint ${JSON.stringify(flags.endpoint)} is not an http(s) URL`);
    }
    return;
  }
  if (flags.adminKeyFile !== undefined) throw new UsageError('--admin-key-file goes with --endpoint');
  if (flags.stack !== undefined && explicit !== undefined) {
    throw new UsageError(
      '--stack reads the table names and the prefix from the stack: drop --registry-table, --audit-table and --secrets-prefix, or --stack',
    );
  }
  if (flags.localDir !== undefined && (flags.stack !== undefined || explicit !== undefined)) {
    throw new UsageError('--local-dir targets the local cluster: it does not go with --stack or explicit table names');
  }
  if (flags.region !== undefined && flags.stack === undefined && explicit === undefined) {
    throw new UsageError(
      '--region applies to a deployed target (--stack, or --registry-table/--audit-table/--secrets-prefix)',
    );
  }
  if (flags.stack !== undefined && !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(flags.stack)) {
    throw new UsageError(`--stack ${JSON.stringify(flags.stack)} is not a stack name (e.g. McpCluster-dev)`);
  }
}

/** Resolves the flags to a target (reading cluster.json or the stack's outputs) with AWS clients for it. */
export async function resolveTarget(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<Target> {
  checkTargetFlags(flags);
  const names =
    flags.stack !== undefined
      ? await stackNames(flags.stack, flags.region)
      : flags.registryTable !== undefined || flags.auditTable !== undefined || flags.secretsPrefix !== undefined
        ? explicitNames(flags)
        : localNames(resolve(cwd, flags.localDir ?? env.MCP_LOCAL_DIR ?? '.mcp-local'));
  return targetFor(names);
}

function localNames(dir: string): ResolvedNames {
  const file = join(dir, CLUSTER_FILE);
  if (!existsSync(file)) {
    throw new TargetError(
      `The local cluster is not running: start it with npm start (no ${file}).\n` +
        'To manage a deployed stack instead, pass --stack McpCluster-<stage>.',
    );
  }
  let parsed: z.infer<typeof localClusterFileSchema>;
  try {
    parsed = localClusterFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    throw new TargetError(`${file} is not a local cluster file: restart npm start.`, { cause: error });
  }
  return {
    kind: 'local',
    label: `the local cluster (${dir})`,
    region: parsed.region,
    registryTable: parsed.registryTable,
    auditTable: parsed.auditTable,
    secretsPrefix: parsed.secretsPrefix,
    url: parsed.url,
    local: { dynamodbEndpoint: parsed.dynamodbEndpoint, secretsManagerEndpoint: parsed.secretsManagerEndpoint },
  };
}

function explicitNames(flags: TargetFlags): ResolvedNames {
  const names = [flags.registryTable, flags.auditTable].filter(Boolean).join(', ') || `prefix ${flags.secretsPrefix}`;
  return {
    kind: 'tables',
    label: `${names}${flags.region ? ` (${flags.region})` : ''}`,
    ...(flags.region ? { region: flags.region } : {}),
    ...(flags.registryTable ? { registryTable: flags.registryTable } : {}),
    ...(flags.auditTable ? { auditTable: flags.auditTable } : {}),
    ...(flags.secretsPrefix !== undefined ? { secretsPrefix: flags.secretsPrefix } : {}),
  };
}

async function stackNames(stack: string, region: string | undefined): Promise<ResolvedNames> {
  const client = new CloudFormationClient(region ? { region } : {});
  try {
    const resolvedRegion = await client.config.region();
    const output = await client.send(new DescribeStacksCommand({ StackName: stack }));
    const described = output.Stacks?.[0];
    if (!described) throw new TargetError(`Stack ${stack} was not found in ${resolvedRegion}.`);
    const outputs = new Map((described.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    const registryTable = outputs.get(STACK_OUTPUTS.registryTable);
    if (!registryTable) {
      throw new TargetError(
        `Stack ${stack} (${resolvedRegion}, ${described.StackStatus ?? 'unknown status'}) has no ${STACK_OUTPUTS.registryTable} output: is it an mcp-cluster stack, fully deployed?`,
      );
    }
    const auditTable = outputs.get(STACK_OUTPUTS.auditTable);
    const secretsPrefix = outputs.get(STACK_OUTPUTS.secretsPrefix);
    return {
      kind: 'stack',
      label: `stack ${stack} (${resolvedRegion})`,
      region: resolvedRegion,
      registryTable,
      ...(auditTable ? { auditTable } : {}),
      ...(secretsPrefix ? { secretsPrefix } : {}),
      ...(outputs.get('EndpointUrl') ? { url: outputs.get('EndpointUrl') } : {}),
    };
  } catch (error) {
    if (error instanceof TargetError) throw error;
    const name = error instanceof Error ? error.name : '';
    const message = error instanceof Error ? error.message : String(error);
    if (name === 'ValidationError' && /does not exist/i.test(message)) {
      const where = await client.config.region().catch(() => region ?? 'the default region');
      throw new TargetError(`Stack ${stack} was not found in ${where}: check --stack and --region.`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    client.destroy();
  }
}

function targetFor(names: ResolvedNames): Target {
  const config = names.local
    ? { region: names.region, credentials: LOCAL_CREDENTIALS, maxAttempts: 2 }
    : { ...(names.region ? { region: names.region } : {}) };
  let dynamodb: DynamoDBClient | undefined;
  let secretsManager: SecretsManagerClient | undefined;
  const dynamo = () => {
    dynamodb ??= new DynamoDBClient({
      ...config,
      ...(names.local ? { endpoint: names.local.dynamodbEndpoint } : {}),
    });
    return dynamodb;
  };
  const missing = (what: string, flag: string, output: string) =>
    new TargetError(
      `${names.label} does not name ${what}: pass ${flag}${names.kind === 'stack' ? ` (the stack has no ${output} output)` : ''}.`,
    );
  return {
    kind: names.kind,
    label: names.label,
    ...(names.region ? { region: names.region } : {}),
    ...(names.registryTable ? { registryTable: names.registryTable } : {}),
    ...(names.auditTable ? { auditTable: names.auditTable } : {}),
    ...(names.secretsPrefix !== undefined ? { secretsPrefix: names.secretsPrefix } : {}),
    ...(names.url ? { url: names.url } : {}),
    ...(names.local ? { endpoints: [names.local.dynamodbEndpoint, names.local.secretsManagerEndpoint] } : {}),
    registry() {
      if (!names.registryTable) throw missing('a registry table', '--registry-table', STACK_OUTPUTS.registryTable);
      return { client: dynamo(), tableName: names.registryTable };
    },
    audit() {
      if (!names.auditTable) throw missing('an audit table', '--audit-table', STACK_OUTPUTS.auditTable);
      return { client: dynamo(), tableName: names.auditTable };
    },
    secrets() {
      if (names.secretsPrefix === undefined) {
        throw missing('a secrets prefix', '--secrets-prefix', STACK_OUTPUTS.secretsPrefix);
      }
      secretsManager ??= new SecretsManagerClient({
        ...config,
        ...(names.local ? { endpoint: names.local.secretsManagerEndpoint } : {}),
      });
      return { client: secretsManager, prefix: names.secretsPrefix };
    },
    close() {
      dynamodb?.destroy();
      secretsManager?.destroy();
    },
  };
}
