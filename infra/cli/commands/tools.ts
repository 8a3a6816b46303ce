import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { parseHttpToolFile, unscopedCredentialWarning } from '../../../shared/admin/http-tools.js';
import {
  type CodeDefaults,
  type PolicyUpdate,
  type RegistryItemKind,
  summarizeTool,
  type ToolSummary,
} from '../../../shared/admin/tools.js';
import { formatRateLimit } from '../../../shared/rate-limit/rate-limit.js';
import type { IdempotencySettings } from '../../../shared/store/items.js';
import type { ToolManifest } from '../../../shared/store/tool-manifests.js';
import { type Command, type CommandContext, splitList, stringOption, UsageError, valueError } from '../args.js';
import { fields, table, truncate } from '../format.js';
import { parseDuration } from '../time.js';
import { parseRateLimitFlag } from './keys.js';
import { secretNote } from './secrets.js';

/**
 * The code's tools in this checkout, for defaults a manifest lacks (manifests written by a sync carry the deployed
 * code's defaults, which win). Without a generated tool index (a fresh clone), the manifests alone are used.
 */
export async function codeTools(): Promise<CodeDefaults[] | undefined> {
  try {
    const { toolModules } = await import('../../../functions/tools/index.generated.js');
    return toolModules.map(({ tool }) => tool);
  } catch {
    return undefined;
  }
}

/** The code's tools, resources or prompts in this checkout (for the direct AdminApi); none without a generated index. */
export async function codeDefaults(kind: RegistryItemKind): Promise<CodeDefaults[] | undefined> {
  try {
    if (kind === 'tool') return await codeTools();
    if (kind === 'resource') {
      const { resourceModules } = await import('../../../functions/resources/index.generated.js');
      return resourceModules.map(({ resource }) => resource);
    }
    const { promptModules } = await import('../../../functions/prompts/index.generated.js');
    return promptModules.map(({ prompt }) => prompt);
  } catch {
    return undefined;
  }
}

export const TTL_NOTE = 'Instances follow within REGISTRY_TTL_MS (10 s by default).';

function formatIdempotency(settings: IdempotencySettings): string {
  const parts = [settings.enabled === undefined ? "code's default" : settings.enabled ? 'on' : 'off'];
  if (settings.ttl !== undefined) parts.push(`ttl ${settings.ttl} s`);
  if (settings.window !== undefined) parts.push(`window ${settings.window} s`);
  return `${parts.join(', ')} (policy)`;
}

const describeScopes = (scopes: readonly string[]) => (scopes.length ? scopes.join(', ') : '(none: every caller)');

function toolFields(tool: ToolSummary): [string, string][] {
  return [
    ['enabled', tool.enabled ? 'yes' : 'no'],
    [
      'scopes',
      `${describeScopes(tool.scopes)}${tool.scopesOverridden && tool.source === 'code' ? ` (policy; the code's: ${describeScopes(tool.defaultScopes)})` : ''}`,
    ],
    ['rate limit', tool.rateLimit ? `${formatRateLimit(tool.rateLimit)} per agent` : 'none'],
    ...(tool.idempotency ? [['idempotency', formatIdempotency(tool.idempotency)] as [string, string]] : []),
    [
      'description',
      `${(tool.description ?? '-').replace(/\s*\n\s*/g, ' ')}${tool.descriptionOverridden && tool.source === 'code' ? ' (policy)' : ''}`,
    ],
    ...Object.entries(tool.secrets).map(([binding, name]) => [`secret ${binding}`, name] as [string, string]),
    ['version', String(tool.version)],
  ];
}

const toolsList: Command = {
  name: 'tools list',
  summary: 'list tools with their effective policy',
  synopsis: '[--json]',
  description:
    "Lists the tools in the registry with their effective policy: the manifest's overrides joined with the code's\n" +
    "defaults. `*` marks a code tool's value set by policy rather than by its code (an HTTP tool has no code).",
  options: {},
  examples: ['mcp-cluster tools list', 'mcp-cluster tools list --stack McpCluster-dev --json'],
  async run(ctx) {
    const target = await ctx.admin();
    const { items: tools, skipped } = await target.api.listItems({ kind: 'tool' });
    for (const { id, problem } of skipped) ctx.warn(`warning: skipped a malformed tool manifest (${id}): ${problem}`);
    if (ctx.json) return ctx.printJson({ tools });
    if (tools.length === 0) {
      return ctx.print(`No tools in the registry of ${target.label} (the deploy, or npm start, registers them).`);
    }
    // Only a code tool has code defaults for policy to override: an HTTP tool's manifest is all it has.
    const marked = (tool: ToolSummary, overridden: boolean) => overridden && tool.source === 'code';
    const mark = (tool: ToolSummary, overridden: boolean) => (marked(tool, overridden) ? '*' : '');
    ctx.print(
      table(
        ['NAME', 'ENABLED', 'SCOPES', 'RATE LIMIT', 'VERSION', 'DESCRIPTION'],
        tools.map((tool) => [
          tool.name,
          tool.enabled ? 'yes' : 'no',
          `${tool.scopes.join(',') || '(none)'}${mark(tool, tool.scopesOverridden)}`,
          tool.rateLimit ? formatRateLimit(tool.rateLimit) : '-',
          String(tool.version),
          `${truncate(tool.description ?? '-', 60)}${mark(tool, tool.descriptionOverridden)}`,
        ]),
      ),
    );
    if (tools.some((tool) => marked(tool, tool.scopesOverridden) || marked(tool, tool.descriptionOverridden))) {
      ctx.print("\n* set by policy (`tools update`), not by the tool's code");
    }
  },
};

function enableCommand(enabled: boolean): Command {
  const verb = enabled ? 'enable' : 'disable';
  return {
    name: `tools ${verb}`,
    summary: enabled ? 'serve a disabled tool again' : 'stop serving a tool, for every caller',
    synopsis: 'NAME',
    description: enabled
      ? `Enables a tool: it is listed and callable again for callers with its scopes. ${TTL_NOTE}`
      : `Disables a tool: it leaves tools/list and calls to it are answered as for an unknown tool.\n${TTL_NOTE}`,
    positionals: ['NAME'],
    options: {},
    examples: [`mcp-cluster tools ${verb} delete_user_account`],
    async run(ctx) {
      const target = await ctx.admin();
      const tool = await target.api.setEnabled({ kind: 'tool', name: ctx.positionals[0]!, enabled });
      if (ctx.json) return ctx.printJson(tool);
      ctx.print(`${enabled ? 'Enabled' : 'Disabled'} ${tool.name} (now version ${tool.version}) on ${target.label}.`);
      ctx.print(TTL_NOTE);
    },
  };
}

const toolsUpdate: Command = {
  name: 'tools update',
  summary: "change a tool's scopes, rate limit or description",
  synopsis:
    'NAME [--scopes A,B | --reset-scopes] [--rate-limit N/WINDOW | --rate-limit none] [--description TEXT | --reset-description] [--idempotency on|off|default] [--idempotency-ttl DURATION] [--idempotency-window DURATION]',
  description:
    "Changes a tool's runtime policy in the registry (one write that bumps its version). Deploys never undo it.\n" +
    TTL_NOTE,
  positionals: ['NAME'],
  options: {
    scopes: {
      type: 'string',
      value: 'A,B',
      help: 'scopes a caller needs (all of them); `none`: every caller sees the tool',
    },
    'reset-scopes': { type: 'boolean', help: "back to the code's scopes" },
    'rate-limit': {
      type: 'string',
      value: 'N/WINDOW',
      help: 'calls per agent, e.g. 10/min, 500/h, 5/30s; `none` removes it',
    },
    description: { type: 'string', value: 'TEXT', help: "replaces the code's description (what the model reads)" },
    'reset-description': { type: 'boolean', help: "back to the code's description" },
    idempotency: {
      type: 'string',
      value: 'on|off|default',
      help: "protection against duplicate calls; `default`: the code's and the cluster's. Replaces the whole policy",
    },
    'idempotency-ttl': {
      type: 'string',
      value: 'DURATION',
      help: 'how long a call with a client key is replayed, e.g. 1h, 10m, 30s',
    },
    'idempotency-window': {
      type: 'string',
      value: 'DURATION',
      help: 'how long a repeat without a key (same arguments) is replayed, e.g. 60s',
    },
  },
  examples: [
    'mcp-cluster tools update get_weather_forecast --rate-limit 60/min',
    'mcp-cluster tools update get_invoice --scopes billing:read',
    'mcp-cluster tools update calculate --description "Evaluates arithmetic exactly." --rate-limit none',
    'mcp-cluster tools update calculate --reset-description --reset-scopes',
    'mcp-cluster tools update delete_user_account --idempotency on --idempotency-ttl 24h',
  ],
  async run(ctx) {
    const update = policyUpdate(ctx, this.name);
    const target = await ctx.admin();
    const tool = await target.api.updatePolicy({ kind: 'tool', name: ctx.positionals[0]!, update });
    if (ctx.json) return ctx.printJson(tool);
    ctx.print(`Updated ${tool.name} on ${target.label}:`);
    ctx.print(fields(toolFields(tool)));
    ctx.print(TTL_NOTE);
  },
};

export function policyUpdate({ values }: CommandContext, command: string): PolicyUpdate {
  const update: PolicyUpdate = {};
  const scopes = stringOption(values, 'scopes');
  if (scopes !== undefined && values['reset-scopes']) {
    throw new UsageError('give --scopes or --reset-scopes, not both', command);
  }
  if (scopes !== undefined) {
    const list = splitList(scopes);
    if (scopes.trim() === 'none') update.scopes = [];
    else if (list.length === 0) throw new UsageError('--scopes needs a scope (or `none`)', command);
    else update.scopes = list;
  } else if (values['reset-scopes']) update.scopes = null;

  const rateLimit = stringOption(values, 'rate-limit');
  if (rateLimit !== undefined) {
    update.rateLimit = rateLimit.trim() === 'none' ? null : parseRateLimitFlag(rateLimit, command);
  }

  const description = stringOption(values, 'description');
  if (description !== undefined && values['reset-description']) {
    throw new UsageError('give --description or --reset-description, not both', command);
  }
  if (description !== undefined) {
    if (!description.trim()) throw new UsageError('--description is empty (use --reset-description)', command);
    update.description = description;
  } else if (values['reset-description']) update.description = null;

  const idempotency = stringOption(values, 'idempotency');
  const ttl = stringOption(values, 'idempotency-ttl');
  const window = stringOption(values, 'idempotency-window');
  if (idempotency !== undefined || ttl !== undefined || window !== undefined) {
    const mode = idempotency?.trim() ?? 'default';
    if (!['on', 'off', 'default'].includes(mode)) throw new UsageError('--idempotency is on, off or default', command);
    const seconds = (text: string | undefined, flag: string) => {
      if (text === undefined) return undefined;
      const ms = parseDuration(text);
      if (ms === undefined || ms % 1000 !== 0)
        throw new UsageError(`${flag} needs a duration such as 30s, 10m or 1h`, command);
      return ms / 1000;
    };
    const settings = {
      ...(mode === 'default' ? {} : { enabled: mode === 'on' }),
      ...(ttl === undefined ? {} : { ttl: seconds(ttl, '--idempotency-ttl') }),
      ...(window === undefined ? {} : { window: seconds(window, '--idempotency-window') }),
    };
    update.idempotency = Object.keys(settings).length ? settings : null;
  }

  if (Object.keys(update).length === 0) {
    throw new UsageError(
      'nothing to update: give --scopes, --reset-scopes, --rate-limit, --description, --reset-description or --idempotency',
      command,
    );
  }
  return update;
}

/** A manifest as operators read it: its name instead of the table's keys. */
function manifestView(manifest: ToolManifest): Record<string, unknown> {
  const { PK: _pk, SK: name, ...rest } = manifest;
  return { name, ...rest };
}

const toolsShow: Command = {
  name: 'tools show',
  summary: "a tool's full manifest (an HTTP tool's request, auth and schema)",
  synopsis: 'NAME',
  description:
    "Prints a tool's manifest as stored in the registry: its policy and, for an HTTP tool, the whole `http` spec\n" +
    '(schema, request, auth). Secrets appear by name only: manifests never hold their values.',
  positionals: ['NAME'],
  options: {},
  examples: ['mcp-cluster tools show weather_forecast_http', 'mcp-cluster tools show getPetById --json'],
  async run(ctx) {
    const target = await ctx.admin();
    const manifest = await target.api.showTool({ name: ctx.positionals[0]! });
    if (ctx.json) return ctx.printJson(manifestView(manifest));
    const code = (await codeTools())?.find((tool) => tool.name === manifest.SK);
    const summary = summarizeTool(manifest, code);
    ctx.print(`${summary.name} (${manifest.source === 'http' ? 'HTTP tool' : 'code tool'}) on ${target.label}:`);
    ctx.print(fields([...toolFields(summary), ['updated', summary.updatedAt ?? '-']]));
    if (manifest.http) {
      ctx.print('');
      ctx.print(toYaml({ http: manifest.http }, { lineWidth: 0 }).trimEnd());
    }
  },
};

const toolsAddHttp: Command = {
  name: 'tools add-http',
  summary: 'add or replace an HTTP tool from a manifest file (JSON or YAML)',
  synopsis: 'FILE',
  description:
    'Adds a manifest-only tool that calls an HTTP API, from a JSON or YAML file (format: docs/http-tools.md):\n' +
    'name, description, optional scopes/rateLimit/enabled, and the HTTP spec (inputSchema, request, auth, ...).\n' +
    'An HTTP tool of the same name is replaced (its version goes up; policy the file does not set is kept); a code\n' +
    `tool is never replaced. The schema is compiled and the URL and arguments checked before anything is written.\n${TTL_NOTE}`,
  positionals: ['FILE'],
  options: {},
  examples: ['mcp-cluster tools add-http weather.yaml', 'mcp-cluster tools add-http tools/invoice.json --json'],
  async run(ctx) {
    const file = resolve(ctx.io.cwd, ctx.positionals[0]!);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw valueError(
        `cannot read ${ctx.positionals[0]}: ${(error as NodeJS.ErrnoException).code ?? error}`,
        this.name,
      );
    }
    const input = parseHttpToolFile(text, ctx.positionals[0]!);
    const target = await ctx.admin();
    const { manifest, created } = await target.api.putHttpTool({ tool: input });
    if (manifest.http?.auth && !manifest.scopes?.length) {
      ctx.warn(`warning: ${unscopedCredentialWarning([manifest.SK], 'scopes: [A, B] in the file')}`);
    }
    if (ctx.json) return ctx.printJson({ created, manifest: manifestView(manifest) });
    ctx.print(
      `${created ? 'Added' : 'Updated'} ${manifest.SK} (${manifest.http?.request.method} ${manifest.http?.request.url}, ` +
        `version ${manifest.version}) on ${target.label}.`,
    );
    const secret = manifest.http?.auth?.secret;
    if (secret) ctx.print(await secretNote(target.api, secret, 'It authenticates'));
    ctx.print(TTL_NOTE);
  },
};

const toolsRemove: Command = {
  name: 'tools remove',
  summary: 'remove an HTTP tool from the registry',
  synopsis: 'NAME',
  description:
    'Removes an HTTP (manifest-only) tool. Code tools are not removed here: delete their folder under\n' +
    `functions/tools (and deploy), or turn one off with \`tools disable\`.\n${TTL_NOTE}`,
  positionals: ['NAME'],
  options: {},
  examples: ['mcp-cluster tools remove weather_forecast_http'],
  async run(ctx) {
    const target = await ctx.admin();
    const removed = await target.api.removeHttpTool({ name: ctx.positionals[0]! });
    if (ctx.json) return ctx.printJson({ name: removed.SK, removed: true });
    ctx.print(`Removed ${removed.SK} from ${target.label}.`);
    ctx.print(TTL_NOTE);
  },
};

export const toolCommands: Command[] = [
  toolsList,
  toolsShow,
  enableCommand(true),
  enableCommand(false),
  toolsUpdate,
  toolsAddHttp,
  toolsRemove,
];
