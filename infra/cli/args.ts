import type { AdminApi } from '../../shared/admin/admin-api.js';
import type { Redactor } from '../../shared/logging/redactor.js';
import type { Target } from './target.js';

/**
 * Bad usage, exit code 2. A command line of the wrong shape (an unknown flag, a missing argument, flags that do not go
 * together) prints the message and the command's usage; a value the command refuses (`showUsage: false`: a time or a
 * file it cannot read, an operation the document lacks) prints the message and a pointer to `--help`, so the one
 * line that matters is not buried under the options.
 */
export class UsageError extends Error {
  readonly code = 'USAGE';
  readonly showUsage: boolean;

  constructor(
    message: string,
    /** The command (`keys create`) whose usage to print; the overview when absent. */
    readonly command?: string,
    options: { showUsage?: boolean } = {},
  ) {
    super(message);
    this.name = 'UsageError';
    this.showUsage = options.showUsage ?? true;
  }
}

/** Bad usage about a value, not the command line's shape: the message and a pointer to the command's `--help`. */
export const valueError = (message: string, command: string) => new UsageError(message, command, { showUsage: false });

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder of the value in the usage text: `ID`, `A,B`. */
  value?: string;
  help: string;
}

export type OptionValues = Record<string, string | boolean | undefined>;

/** Where output goes; commands never touch `process` directly. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
  now(): Date;
}

/** The admin operations a command runs, and where they run (for messages). */
export interface AdminSession {
  api: AdminApi;
  /** `the local cluster (.mcp-local)`, `stack McpCluster-dev (eu-west-1)`, `the admin API at https://…/admin`. */
  label: string;
  /** True through the admin API (`--endpoint`), with a tenant admin key. */
  remote: boolean;
}

export interface CommandContext {
  values: OptionValues;
  positionals: string[];
  json: boolean;
  io: CliIo;
  /** Resolved on first use, so `--help` and usage errors never touch AWS. */
  target(): Promise<Target>;
  /**
   * The admin operations: direct on the target's tables (the operator's AWS credentials, platform scope), or the
   * cluster's admin API with `--endpoint` and a tenant admin key. Made on first use, like `target`.
   */
  admin(): Promise<AdminSession>;
  /** Writes a line to stdout. */
  print(text?: string): void;
  /** Writes a line to stderr. */
  warn(text: string): void;
  /** Writes `value` as pretty JSON to stdout. */
  printJson(value: unknown): void;
  /** Secret values read by the command: scrubbed from anything printed about a failure. */
  redactor: Redactor;
}

export interface Command {
  /** `keys create` */
  name: string;
  /** One line, for the overview. */
  summary: string;
  /** What follows the command name in the usage line: `--agent ID --scopes A,B [options]`. */
  synopsis: string;
  /** A paragraph under the usage line. */
  description: string;
  /** Names of the positional arguments, all required. */
  positionals?: string[];
  options: Record<string, OptionSpec>;
  examples: string[];
  run(context: CommandContext): Promise<void>;
}

/** Options every command takes: where the cluster is, and how to print. */
export const TARGET_OPTIONS: Record<string, OptionSpec> = {
  'local-dir': {
    type: 'string',
    value: 'DIR',
    help: 'state folder of the local cluster (default: $MCP_LOCAL_DIR or .mcp-local)',
  },
  stack: {
    type: 'string',
    value: 'NAME',
    help: 'a deployed stack, e.g. McpCluster-dev (tables and prefix from its outputs)',
  },
  region: { type: 'string', value: 'REGION', help: "the stack's or tables' AWS region (default: the AWS SDK's)" },
  'registry-table': { type: 'string', value: 'TABLE', help: 'the registry table, instead of --stack' },
  'audit-table': { type: 'string', value: 'TABLE', help: 'the audit table, instead of --stack' },
  'secrets-prefix': { type: 'string', value: 'PREFIX', help: 'the Secrets Manager prefix, instead of --stack' },
  endpoint: {
    type: 'string',
    value: 'URL',
    help: "the cluster's URL (its MCP endpoint): administer one tenant through its admin API, with the tenant admin key in $MCP_CLUSTER_ADMIN_KEY",
  },
  'admin-key-file': {
    type: 'string',
    value: 'FILE',
    help: 'with --endpoint: read the tenant admin key from FILE instead of $MCP_CLUSTER_ADMIN_KEY',
  },
};

/** The environment variable that holds the tenant admin key for `--endpoint` (never taken on the command line). */
export const ADMIN_KEY_ENV = 'MCP_CLUSTER_ADMIN_KEY';

export const OUTPUT_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', help: 'print JSON (a stable shape, for scripts)' },
  debug: { type: 'boolean', help: 'print stack traces of failures' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

/** Splits `a,b, c` into `['a', 'b', 'c']`. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function requiredOption(values: OptionValues, name: string, command: string): string {
  const value = stringOption(values, name);
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required`, command);
  return value;
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const labels = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    return [flag, spec.help] as const;
  });
  const width = Math.max(...labels.map(([flag]) => flag.length));
  return labels.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`);
}

export function commandUsage(command: Command): string {
  const lines = [`Usage: mcp-cluster ${command.name} ${command.synopsis}`.trimEnd(), '', command.description, ''];
  if (Object.keys(command.options).length) lines.push('Options:', ...optionLines(command.options), '');
  lines.push(
    'Target (default: the local cluster that `npm start` runs; --endpoint: a tenant, through the admin API):',
    ...optionLines(TARGET_OPTIONS),
    '',
    'Output:',
    ...optionLines(OUTPUT_OPTIONS),
  );
  if (command.examples.length) lines.push('', 'Examples:', ...command.examples.map((example) => `  ${example}`));
  return `${lines.join('\n')}\n`;
}

export function overviewUsage(commands: readonly Command[], group?: string): string {
  const shown = group ? commands.filter((command) => command.name.startsWith(`${group} `)) : commands;
  const width = Math.max(...shown.map((command) => command.name.length));
  return [
    `Usage: mcp-cluster ${group ?? '<command>'}${group ? ' <command>' : ''} [options]`,
    '',
    'Manages an mcp-cluster: API keys, tool policy, HTTP tools (from a manifest file or an OpenAPI document), tool',
    'secrets and the audit trail, on the local cluster (`npm start`) or a deployed stack (--stack McpCluster-<stage>),',
    "or one tenant's through the cluster's admin API (--endpoint URL, with a tenant admin key in $MCP_CLUSTER_ADMIN_KEY).",
    '',
    'Commands:',
    ...shown.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    `Run \`mcp-cluster ${group ?? '<command>'}${group ? ' <command>' : ''} --help\` for a command's options. Docs: docs/cli.md`,
    '',
  ].join('\n');
}

/** `--tenant T` on the commands about tools: a tenant's own tools (and, for a listing, that tenant's view). */
export const TENANT_TOOL_OPTION: Record<string, OptionSpec> = {
  tenant: {
    type: 'string',
    value: 'T',
    help: "the tenant's own tool (`tools list`: the tenant's view); through the admin API it is the key's tenant",
  },
};

/** The `{ tenant }` an admin operation on tools takes, from `--tenant`. */
export function toolOwnerOption(values: OptionValues): { tenant?: string } {
  const tenant = stringOption(values, 'tenant');
  return tenant === undefined ? {} : { tenant };
}
