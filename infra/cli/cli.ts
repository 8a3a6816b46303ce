/**
 * `mcp-cluster <group> <command> [options]`: the admin CLI. Exit codes: 0 done, 1 the operation failed, 2 bad usage
 * (the message, and the command's usage or, for a value it refuses, a pointer to its --help). No stack traces unless
 * `--debug`.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { createDirectAdminApi, PLATFORM_SCOPE } from '../../shared/admin/admin-api.js';
import { adminUrlFor, createRemoteAdminApi } from '../../shared/admin/admin-api-client.js';
import { AdminError } from '../../shared/admin/admin-error.js';
import { Redactor } from '../../shared/logging/redactor.js';
import { SERVER_VERSION } from '../../shared/version.js';
import {
  ADMIN_KEY_ENV,
  type AdminSession,
  type CliIo,
  type Command,
  type CommandContext,
  commandUsage,
  type OptionSpec,
  type OptionValues,
  OUTPUT_OPTIONS,
  overviewUsage,
  stringOption,
  TARGET_OPTIONS,
  UsageError,
  valueError,
} from './args.js';
import { auditCommands } from './commands/audit.js';
import { importCommands } from './commands/import-openapi.js';
import { itemCommands } from './commands/items.js';
import { keyCommands } from './commands/keys.js';
import { secretCommands } from './commands/secrets.js';
import { tenantCommands } from './commands/tenants.js';
import { codeDefaults, toolCommands } from './commands/tools.js';
import { checkTargetFlags, resolveTarget, type Target, TargetError } from './target.js';

export const COMMANDS: readonly Command[] = [
  ...keyCommands,
  ...toolCommands,
  ...itemCommands,
  ...importCommands,
  ...auditCommands,
  ...secretCommands,
  ...tenantCommands,
];
/** Groups of commands (`keys`, `tools`); a one-word command (`import-openapi`) is not one. */
const GROUPS = new Set(
  COMMANDS.filter((command) => command.name.includes(' ')).map((command) => command.name.split(' ')[0]!),
);

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

type ParseOptions = NonNullable<ParseArgsConfig['options']>;

function parseOptions(...specs: Record<string, OptionSpec>[]): ParseOptions {
  const options: ParseOptions = {};
  for (const spec of specs) {
    for (const [name, { type, short }] of Object.entries(spec)) options[name] = { type, ...(short ? { short } : {}) };
  }
  return options;
}

const ALL_OPTIONS = parseOptions(TARGET_OPTIONS, OUTPUT_OPTIONS, ...COMMANDS.map((command) => command.options), {
  version: { type: 'boolean', help: '' },
});

/** `Unknown option '--foo'. To specify…` → `unknown option --foo` */
function usageMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missing = /Option '([^' ]+)[^']*' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  return message.split('\n')[0]!.replace(/\.$/, '');
}

function findCommand(positionals: readonly string[]): Command | undefined {
  const two = positionals.slice(0, 2).join(' ');
  return (
    COMMANDS.find((command) => command.name === two) ?? COMMANDS.find((command) => command.name === positionals[0])
  );
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const redactor = new Redactor();
  let debug = argv.includes('--debug');
  let json = argv.includes('--json');
  let target: Promise<Target> | undefined;
  let remoteUrl: string | undefined;
  try {
    // A first, lenient pass finds the command wherever the options are.
    const loose = parseArgs({ args: [...argv], options: ALL_OPTIONS, strict: false, allowPositionals: true });
    const positionals = loose.positionals;
    const command = findCommand(positionals);
    const group = positionals[0] !== undefined && GROUPS.has(positionals[0]) ? positionals[0] : undefined;
    const wantsHelp = loose.values.help === true || positionals[0] === 'help';

    if (loose.values.version === true && positionals.length === 0) {
      io.stdout.write(`mcp-cluster ${SERVER_VERSION}\n`);
      return EXIT_OK;
    }
    if (positionals[0] === 'help') {
      const topic = findCommand(positionals.slice(1));
      const topicGroup = positionals[1] !== undefined && GROUPS.has(positionals[1]) ? positionals[1] : undefined;
      io.stdout.write(topic ? commandUsage(topic) : overviewUsage(COMMANDS, topicGroup));
      return EXIT_OK;
    }
    if (!command) {
      if (wantsHelp) {
        io.stdout.write(overviewUsage(COMMANDS, group));
        return EXIT_OK;
      }
      if (positionals.length === 0) throw new UsageError('no command given');
      if (group && positionals.length === 1) throw new UsageError(`"${group}" needs a command`, group);
      throw new UsageError(`unknown command "${positionals.slice(0, group ? 2 : 1).join(' ')}"`, group);
    }
    if (wantsHelp) {
      io.stdout.write(commandUsage(command));
      return EXIT_OK;
    }

    let values: OptionValues;
    let args: string[];
    try {
      const strict = parseArgs({
        args: [...argv],
        options: parseOptions(command.options, TARGET_OPTIONS, OUTPUT_OPTIONS),
        strict: true,
        allowPositionals: true,
      });
      values = strict.values as OptionValues;
      args = strict.positionals.slice(command.name.split(' ').length);
    } catch (error) {
      throw new UsageError(usageMessage(error), command.name);
    }
    debug = values.debug === true;
    json = values.json === true;
    const expected = command.positionals ?? [];
    if (args.length < expected.length) {
      throw new UsageError(`missing ${expected.slice(args.length).join(' ')}`, command.name);
    }
    if (args.length > expected.length) {
      if (command.name === 'secrets put') {
        throw new UsageError('the secret value is read from stdin, never from an argument', command.name);
      }
      throw new UsageError(`unexpected argument "${args[expected.length]}"`, command.name);
    }

    const flags = {
      endpoint: stringOption(values, 'endpoint'),
      adminKeyFile: stringOption(values, 'admin-key-file'),
      localDir: stringOption(values, 'local-dir'),
      stack: stringOption(values, 'stack'),
      region: stringOption(values, 'region'),
      registryTable: stringOption(values, 'registry-table'),
      auditTable: stringOption(values, 'audit-table'),
      secretsPrefix: stringOption(values, 'secrets-prefix'),
    };
    for (const [flag, value] of Object.entries(flags)) {
      if (value !== undefined && value.trim() === '') throw new UsageError(`--${kebab(flag)} is empty`, command.name);
    }
    try {
      checkTargetFlags(flags);
    } catch (error) {
      throw new UsageError((error as Error).message, command.name);
    }
    const { endpoint, adminKeyFile, ...targetFlags } = flags;
    if (endpoint !== undefined && adminKeyFile === undefined && !io.env[ADMIN_KEY_ENV]?.trim()) {
      throw new UsageError(
        `--endpoint needs a tenant admin key: set ${ADMIN_KEY_ENV} (or pass --admin-key-file FILE)`,
        command.name,
      );
    }
    if (endpoint !== undefined) remoteUrl = adminUrlFor(endpoint);
    const resolveTargetOnce = () => {
      target ??= resolveTarget(
        Object.fromEntries(Object.entries(targetFlags).filter(([, value]) => value !== undefined)),
        io.env,
        io.cwd,
      );
      return target;
    };
    let session: Promise<AdminSession> | undefined;
    const openSession = async (): Promise<AdminSession> => {
      if (remoteUrl === undefined) {
        const resolved = await resolveTargetOnce();
        const api = createDirectAdminApi(resolved, PLATFORM_SCOPE, { codeDefaults, now: () => io.now() });
        return { api, label: resolved.label, remote: false };
      }
      const key = await adminKey(io, adminKeyFile);
      redactor.add(key);
      return {
        api: createRemoteAdminApi({ url: remoteUrl, key }),
        label: `the admin API at ${remoteUrl}`,
        remote: true,
      };
    };
    const context: CommandContext = {
      values,
      positionals: args,
      json,
      io,
      redactor,
      target: resolveTargetOnce,
      admin: () => {
        session ??= openSession();
        return session;
      },
      print: (text = '') => io.stdout.write(`${text}\n`),
      warn: (text) => io.stderr.write(`${text}\n`),
      printJson: (value) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    };
    try {
      await command.run(context);
    } catch (error) {
      // A value the data layer refuses (a bad agent id, scope or name) is bad usage of this command.
      if (error instanceof AdminError && error.code === 'INVALID_INPUT') throw valueError(error.message, command.name);
      throw error;
    }
    return EXIT_OK;
  } catch (error) {
    return report(error, { io, debug, json, redactor, target, remoteUrl });
  } finally {
    if (target) await target.then((resolved) => resolved.close()).catch(() => undefined);
  }
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The tenant admin key: from --admin-key-file, else from the environment. Never from an argument, never printed. */
async function adminKey(io: CliIo, file: string | undefined): Promise<string> {
  if (file === undefined) return (io.env[ADMIN_KEY_ENV] ?? '').trim();
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    throw new TargetError(`Cannot read the admin key file ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const key = text.trim();
  if (!key) throw new TargetError(`The admin key file ${file} is empty.`);
  return key;
}

async function report(
  error: unknown,
  options: {
    io: CliIo;
    debug: boolean;
    json: boolean;
    redactor: Redactor;
    target?: Promise<Target>;
    remoteUrl?: string;
  },
): Promise<number> {
  const { io, redactor } = options;
  const write = (text: string) => io.stderr.write(redactor.redact(text));
  if (error instanceof UsageError) {
    const command = COMMANDS.find((candidate) => candidate.name === error.command);
    if (command && !error.showUsage) {
      write(`mcp-cluster: ${error.message}\nRun "mcp-cluster ${command.name} --help" for the options.\n`);
      return EXIT_USAGE;
    }
    write(`mcp-cluster: ${error.message}\n\n`);
    write(command ? commandUsage(command) : overviewUsage(COMMANDS, error.command));
    return EXIT_USAGE;
  }
  const target = options.target ? await options.target.catch(() => undefined) : undefined;
  const { message, exitCode } = describeFailure(error, target, options.remoteUrl);
  write(`mcp-cluster: ${message}\n`);
  if (options.debug) write(`\n${stackOf(error)}\n`);
  return exitCode;
}

function stackOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? String(current)) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current) parts.push('Caused by:');
  }
  return parts.join('\n');
}

/** A failure as one operator-readable line; AWS SDK errors are decided on their `name` (and Node's on `code`). */
export function describeFailure(
  error: unknown,
  target?: Target,
  /** The admin API's URL, when the CLI goes through it (`--endpoint`). */
  remoteUrl?: string,
): { message: string; exitCode: number } {
  if (error instanceof AdminError) {
    return { message: error.message, exitCode: error.code === 'INVALID_INPUT' ? EXIT_USAGE : EXIT_FAILED };
  }
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  const code = networkCode(error);
  if (name === 'TargetError' || name === 'CancelledError' || name === 'AdminApiError') {
    return { message, exitCode: EXIT_FAILED };
  }
  if (remoteUrl !== undefined && (code || (name === 'TypeError' && message === 'fetch failed'))) {
    const why =
      code ?? ((error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : 'failed');
    return { message: `Cannot reach the admin API at ${remoteUrl} (${why}): check --endpoint`, exitCode: EXIT_FAILED };
  }
  if (code) {
    const where =
      target?.kind === 'local'
        ? `the local cluster (${target.endpoints?.join(', ')}): is npm start still running?`
        : `AWS (${code}): check the network and --region`;
    return { message: `Cannot reach ${where}`, exitCode: EXIT_FAILED };
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return {
      message: `No AWS credentials: ${message} (the default chain: AWS_* variables, ~/.aws profiles with AWS_PROFILE, SSO, instance roles)`,
      exitCode: EXIT_FAILED,
    };
  }
  if (/Region is missing/i.test(message)) {
    return { message: 'No AWS region: pass --region or set AWS_REGION.', exitCode: EXIT_FAILED };
  }
  if (name === 'ResourceNotFoundException') {
    return {
      message: `${target ? `${target.label}: ` : ''}a table was not found (${message}). Check the table names and the region.`,
      exitCode: EXIT_FAILED,
    };
  }
  if (
    /AccessDenied|UnrecognizedClient|InvalidSignature|ExpiredToken|InvalidClientTokenId|SignatureDoesNotMatch/.test(
      name,
    )
  ) {
    return { message: `AWS refused the request (${name}): ${message}`, exitCode: EXIT_FAILED };
  }
  return { message: message || name || 'failed', exitCode: EXIT_FAILED };
}

/** ECONNREFUSED and friends, wherever the SDK put them. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|EAI_AGAIN)$/.test(code)
    ) {
      return code;
    }
    const name = (current as { name?: unknown }).name;
    if (name === 'TimeoutError') return 'timeout';
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
