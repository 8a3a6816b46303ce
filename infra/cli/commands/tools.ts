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
import { parseToolKey, type ToolManifest } from '../../../shared/store/tool-manifests.js';
import {
  type Command,
  type CommandContext,
  splitList,
  stringOption,
  TENANT_TOOL_OPTION,
  toolOwnerOption,
  UsageError,
  valueError,
} from '../args.js';
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

/** Who sees an item, and whose secret a tenant without its own gets: for tools, resources and prompts alike. */
export const TENANCY_OPTIONS = {
  tenants: {
    type: 'string',
    value: 'A,B',
    help: 'only callers of these tenants see it (hidden from the others like an unknown item)',
  },
  'all-tenants': { type: 'boolean', help: 'every tenant sees it again' },
  'secret-fallback': {
    type: 'string',
    value: 'on|off',
    help: 'on: a tenant without its own secret for a binding gets the shared one',
  },
} as const;

export const TTL_NOTE = 'Instances follow within REGISTRY_TTL_MS (10 s by default).';

function formatIdempotency(settings: IdempotencySettings): string {
  const parts = [settings.enabled === undefined ? "code's default" : settings.enabled ? 'on' : 'off'];
  if (settings.ttl !== undefined) parts.push(`ttl ${settings.ttl} s`);
  if (settings.window !== undefined) parts.push(`window ${settings.window} s`);
  return `${parts.join(', ')} (policy)`;
}

const describeScopes = (scopes: readonly string[]) => (scopes.length ? scopes.join(', ') : '(none: every caller)');

/** Who sees an item: its tenant (a tenant's own tool), the tenants it is restricted to, or every tenant. */
export function describeTenants(tool: Pick<ToolSummary, 'tenant' | 'tenants'>): string {
  if (tool.tenant) return `${tool.tenant} (its own tool)`;
  return tool.tenants ? tool.tenants.join(', ') : 'every tenant';
}

/** The row that says a tool, resource or prompt lets a tenant without its own secret use the shared one. */
export const secretFallbackField = (item: Pick<ToolSummary, 'secretFallback'>): [string, string][] =>
  item.secretFallback ? [['secret fallback', 'a tenant without its own secret gets the shared one']] : [];

/** A manifest's tool as operators name it: `invoices`, or `invoices (tenant acme)` for a tenant's own. */
function toolLabel(manifest: Pick<ToolManifest, 'SK'>): string {
  const { tenant, name } = parseToolKey(manifest.SK);
  return tenant === undefined ? name : `${name} (tenant ${tenant})`;
}

function toolFields(tool: ToolSummary): [string, string][] {
  return [
    ['enabled', tool.enabled ? 'yes' : 'no'],
    ['tenants', describeTenants(tool)],
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
    ...secretFallbackField(tool),
    ['version', String(tool.version)],
  ];
}

const toolsList: Command = {
  name: 'tools list',
  summary: 'list tools with their effective policy',
  synopsis: '[--tenant T] [--json]',
  description:
    "Lists the tools in the registry with their effective policy: the manifest's overrides joined with the code's\n" +
    "defaults. `*` marks a code tool's value set by policy rather than by its code (an HTTP tool has no code).\n" +
    "With --tenant, the tools that tenant's callers may be shown: the shared ones open to it, and its own.",
  options: { ...TENANT_TOOL_OPTION },
  examples: [
    'mcp-cluster tools list',
    'mcp-cluster tools list --tenant acme',
    'mcp-cluster tools list --stack McpCluster-dev --json',
  ],
  async run(ctx) {
    const target = await ctx.admin();
    const { items: tools, skipped } = await target.api.listItems({ kind: 'tool', ...toolOwnerOption(ctx.values) });
    for (const { id, problem } of skipped) ctx.warn(`warning: skipped a malformed tool manifest (${id}): ${problem}`);
    if (ctx.json) return ctx.printJson({ tools });
    if (tools.length === 0) {
      return ctx.print(`No tools in the registry of ${target.label} (the deploy, or npm start, registers them).`);
    }
    // Only a code tool has code defaults for policy to override: an HTTP tool's manifest is all it has.
    const marked = (tool: ToolSummary, overridden: boolean) => overridden && tool.source === 'code';
    const mark = (tool: ToolSummary, overridden: boolean) => (marked(tool, overridden) ? '*' : '');
    // The TENANTS column appears once some tool is not every tenant's.
    const tenanted = tools.some((tool) => tool.tenant !== null || tool.tenants !== null);
    const tenantsOf = (tool: ToolSummary) =>
      tenanted ? [tool.tenant ? `${tool.tenant} (own)` : (tool.tenants?.join(',') ?? 'all')] : [];
    ctx.print(
      table(
        ['NAME', ...(tenanted ? ['TENANTS'] : []), 'ENABLED', 'SCOPES', 'RATE LIMIT', 'VERSION', 'DESCRIPTION'],
        tools.map((tool) => [
          tool.name,
          ...tenantsOf(tool),
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
    synopsis: 'NAME [--tenant T]',
    description: enabled
      ? `Enables a tool: it is listed and callable again for callers with its scopes. ${TTL_NOTE}`
      : `Disables a tool: it leaves tools/list and calls to it are answered as for an unknown tool.\n${TTL_NOTE}`,
    positionals: ['NAME'],
    options: { ...TENANT_TOOL_OPTION },
    examples: [`mcp-cluster tools ${verb} delete_user_account`, `mcp-cluster tools ${verb} invoices --tenant acme`],
    async run(ctx) {
      const target = await ctx.admin();
      const tool = await target.api.setEnabled({
        kind: 'tool',
        name: ctx.positionals[0]!,
        enabled,
        ...toolOwnerOption(ctx.values),
      });
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
    'NAME [--tenant T] [--scopes A,B | --reset-scopes] [--rate-limit N/WINDOW | --rate-limit none] [--description TEXT | --reset-description] [--idempotency on|off|default] [--idempotency-ttl DURATION] [--idempotency-window DURATION] [--tenants A,B | --all-tenants] [--secret-fallback on|off]',
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
    ...TENANT_TOOL_OPTION,
    ...TENANCY_OPTIONS,
  },
  examples: [
    'mcp-cluster tools update get_weather_forecast --rate-limit 60/min',
    'mcp-cluster tools update get_invoice --scopes billing:read',
    'mcp-cluster tools update calculate --description "Evaluates arithmetic exactly." --rate-limit none',
    'mcp-cluster tools update calculate --reset-description --reset-scopes',
    'mcp-cluster tools update delete_user_account --idempotency on --idempotency-ttl 24h',
    'mcp-cluster tools update acme_ledger --tenants acme',
    'mcp-cluster tools update crm_search --secret-fallback on',
    'mcp-cluster tools update invoices --tenant acme --rate-limit 30/min',
  ],
  async run(ctx) {
    const update = policyUpdate(ctx, this.name);
    const target = await ctx.admin();
    const tool = await target.api.updatePolicy({
      kind: 'tool',
      name: ctx.positionals[0]!,
      update,
      ...toolOwnerOption(ctx.values),
    });
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

  const tenants = stringOption(values, 'tenants');
  if (tenants !== undefined && values['all-tenants']) {
    throw new UsageError('give --tenants or --all-tenants, not both', command);
  }
  if (tenants !== undefined) {
    const list = splitList(tenants);
    if (list.length === 0) throw new UsageError('--tenants needs a tenant (or --all-tenants)', command);
    update.tenants = list;
  } else if (values['all-tenants']) update.tenants = null;
  const fallback = stringOption(values, 'secret-fallback');
  if (fallback !== undefined) {
    if (!['on', 'off'].includes(fallback.trim())) throw new UsageError('--secret-fallback is on or off', command);
    update.secretFallback = fallback.trim() === 'on';
  }

  if (Object.keys(update).length === 0) {
    throw new UsageError(
      'nothing to update: give --scopes, --reset-scopes, --rate-limit, --description, --reset-description, --idempotency, --tenants, --all-tenants or --secret-fallback',
      command,
    );
  }
  return update;
}

/** A manifest as operators read it: its name instead of the table's keys. */
function manifestView(manifest: ToolManifest): Record<string, unknown> {
  const { PK: _pk, SK: key, ...rest } = manifest;
  return { name: parseToolKey(key).name, ...rest };
}

const toolsShow: Command = {
  name: 'tools show',
  summary: "a tool's full manifest (an HTTP tool's request, auth and schema)",
  synopsis: 'NAME [--tenant T]',
  description:
    "Prints a tool's manifest as stored in the registry: its policy and, for an HTTP tool, the whole `http` spec\n" +
    '(schema, request, auth). Secrets appear by name only: manifests never hold their values.',
  positionals: ['NAME'],
  options: { ...TENANT_TOOL_OPTION },
  examples: [
    'mcp-cluster tools show weather_forecast_http',
    'mcp-cluster tools show getPetById --json',
    'mcp-cluster tools show invoices --tenant acme',
  ],
  async run(ctx) {
    const target = await ctx.admin();
    const manifest = await target.api.showTool({ name: ctx.positionals[0]!, ...toolOwnerOption(ctx.values) });
    if (ctx.json) return ctx.printJson(manifestView(manifest));
    const code = (await codeTools())?.find((tool) => tool.name === manifest.SK);
    const summary = summarizeTool(manifest, code);
    ctx.print(`${toolLabel(manifest)} (${manifest.source === 'http' ? 'HTTP tool' : 'code tool'}) on ${target.label}:`);
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
  synopsis: 'FILE [--tenant T]',
  description:
    'Adds a manifest-only tool that calls an HTTP API, from a JSON or YAML file (format: docs/http-tools.md):\n' +
    'name, description, optional scopes/rateLimit/enabled, and the HTTP spec (inputSchema, request, auth, ...).\n' +
    'An HTTP tool of the same name is replaced (its version goes up; policy the file does not set is kept); a code\n' +
    'tool is never replaced. The schema is compiled and the URL and arguments checked before anything is written.\n' +
    "With --tenant (or through the admin API) it is the tenant's own tool: only its callers see it, under this name\n" +
    `even where a shared tool has it, and it reads only the tenant's secrets.\n${TTL_NOTE}`,
  positionals: ['FILE'],
  options: { ...TENANT_TOOL_OPTION },
  examples: [
    'mcp-cluster tools add-http weather.yaml',
    'mcp-cluster tools add-http tools/invoice.json --json',
    'mcp-cluster tools add-http acme-invoices.yaml --tenant acme',
  ],
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
    const owner = toolOwnerOption(ctx.values);
    const { manifest, created } = await target.api.putHttpTool({ tool: input, ...owner });
    if (manifest.http?.auth && !manifest.scopes?.length) {
      ctx.warn(`warning: ${unscopedCredentialWarning([toolLabel(manifest)], 'scopes: [A, B] in the file')}`);
    }
    if (ctx.json) return ctx.printJson({ created, manifest: manifestView(manifest) });
    ctx.print(
      `${created ? 'Added' : 'Updated'} ${toolLabel(manifest)} (${manifest.http?.request.method} ${manifest.http?.request.url}, ` +
        `version ${manifest.version}) on ${target.label}.`,
    );
    const secret = manifest.http?.auth?.secret;
    // A tenant's own tool reads its tenant's secret: the platform names it in the tenant's folder.
    const secretName = secret && owner.tenant && !target.remote ? `${owner.tenant}/${secret}` : secret;
    if (secretName) {
      const perTenant = !target.remote && owner.tenant === undefined;
      ctx.print(await secretNote(target.api, secretName, 'It authenticates', { perTenant }));
    }
    ctx.print(TTL_NOTE);
  },
};

const toolsRemove: Command = {
  name: 'tools remove',
  summary: 'remove an HTTP tool from the registry',
  synopsis: 'NAME [--tenant T]',
  description:
    "Removes an HTTP (manifest-only) tool (with --tenant: that tenant's own). Code tools are not removed here:\n" +
    `delete their folder under functions/tools (and deploy), or turn one off with \`tools disable\`.\n${TTL_NOTE}`,
  positionals: ['NAME'],
  options: { ...TENANT_TOOL_OPTION },
  examples: ['mcp-cluster tools remove weather_forecast_http', 'mcp-cluster tools remove invoices --tenant acme'],
  async run(ctx) {
    const target = await ctx.admin();
    const removed = await target.api.removeHttpTool({ name: ctx.positionals[0]!, ...toolOwnerOption(ctx.values) });
    if (ctx.json)
      return ctx.printJson({
        name: parseToolKey(removed.SK).name,
        removed: true,
        ...(removed.tenant ? { tenant: removed.tenant } : {}),
      });
    ctx.print(`Removed ${toolLabel(removed)} from ${target.label}.`);
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
