import type { RegistryItemKind, ToolSummary } from '../../../shared/admin/tools.js';
import { formatRateLimit } from '../../../shared/rate-limit/rate-limit.js';
import type { Command } from '../args.js';
import { fields, table, truncate } from '../format.js';
import { describeTenants, policyUpdate, secretFallbackField, TENANCY_OPTIONS, TTL_NOTE } from './tools.js';

/**
 * `resources ...` and `prompts ...`: the runtime policy of the folder resources and prompts (enabled, scopes, rate
 * limit, description), kept in the registry beside the tools' and changed the same way, without a deploy.
 */
type ItemKind = Exclude<RegistryItemKind, 'tool'>;

const plural = (kind: ItemKind) => `${kind}s`;

function itemFields(item: ToolSummary): [string, string][] {
  return [
    ['enabled', item.enabled ? 'yes' : 'no'],
    ['tenants', describeTenants(item)],
    [
      'scopes',
      `${item.scopes.join(', ') || '(none: every caller)'}${item.scopesOverridden ? ` (policy; the code's: ${item.defaultScopes.join(', ') || 'none'})` : ''}`,
    ],
    ['rate limit', item.rateLimit ? `${formatRateLimit(item.rateLimit)} per agent` : 'none'],
    [
      'description',
      `${(item.description ?? '-').replace(/\s*\n\s*/g, ' ')}${item.descriptionOverridden ? ' (policy)' : ''}`,
    ],
    ...secretFallbackField(item),
    ['version', String(item.version)],
  ];
}

function listCommand(kind: ItemKind): Command {
  return {
    name: `${plural(kind)} list`,
    summary: `list ${plural(kind)} with their effective policy`,
    synopsis: '[--json]',
    description: `Lists the ${plural(kind)} in the registry with their effective policy (\`*\`: set by policy, not by code).`,
    options: {},
    examples: [`mcp-cluster ${plural(kind)} list`],
    async run(ctx) {
      const target = await ctx.admin();
      const { items, skipped } = await target.api.listItems({ kind });
      for (const { id, problem } of skipped) ctx.warn(`warning: skipped a malformed manifest (${id}): ${problem}`);
      if (ctx.json) return ctx.printJson({ [plural(kind)]: items });
      if (items.length === 0) {
        return ctx.print(
          `No ${plural(kind)} in the registry of ${target.label} (the deploy, or npm start, registers them).`,
        );
      }
      const mark = (overridden: boolean) => (overridden ? '*' : '');
      ctx.print(
        table(
          ['NAME', 'ENABLED', 'SCOPES', 'RATE LIMIT', 'VERSION', 'DESCRIPTION'],
          items.map((item) => [
            item.name,
            item.enabled ? 'yes' : 'no',
            `${item.scopes.join(',') || '(none)'}${mark(item.scopesOverridden)}`,
            item.rateLimit ? formatRateLimit(item.rateLimit) : '-',
            String(item.version),
            `${truncate(item.description ?? '-', 60)}${mark(item.descriptionOverridden)}`,
          ]),
        ),
      );
    },
  };
}

function enableCommand(kind: ItemKind, enabled: boolean): Command {
  const verb = enabled ? 'enable' : 'disable';
  const example = kind === 'resource' ? 'user_profile' : 'review_account_deletion';
  return {
    name: `${plural(kind)} ${verb}`,
    summary: enabled ? `serve a disabled ${kind} again` : `stop serving a ${kind}, for every caller`,
    synopsis: 'NAME',
    description: enabled
      ? `Enables a ${kind}: it is listed and served again for callers with its scopes. ${TTL_NOTE}`
      : `Disables a ${kind}: it leaves its list and is answered as unknown.\n${TTL_NOTE}`,
    positionals: ['NAME'],
    options: {},
    examples: [`mcp-cluster ${plural(kind)} ${verb} ${example}`],
    async run(ctx) {
      const target = await ctx.admin();
      const item = await target.api.setEnabled({ kind, name: ctx.positionals[0]!, enabled });
      if (ctx.json) return ctx.printJson(item);
      ctx.print(
        `${enabled ? 'Enabled' : 'Disabled'} ${kind} ${item.name} (now version ${item.version}) on ${target.label}.`,
      );
      ctx.print(TTL_NOTE);
    },
  };
}

function updateCommand(kind: ItemKind): Command {
  const example = kind === 'resource' ? 'user_profile' : 'weather_briefing';
  return {
    name: `${plural(kind)} update`,
    summary: `change a ${kind}'s scopes, rate limit or description`,
    synopsis:
      'NAME [--scopes A,B | --reset-scopes] [--rate-limit N/WINDOW | --rate-limit none] [--description TEXT | --reset-description] [--tenants A,B | --all-tenants] [--secret-fallback on|off]',
    description: `Changes a ${kind}'s runtime policy in the registry (one write that bumps its version). Deploys never undo it.\n${TTL_NOTE}`,
    positionals: ['NAME'],
    options: {
      scopes: { type: 'string', value: 'A,B', help: `scopes a caller needs (all of them); \`none\`: every caller` },
      'reset-scopes': { type: 'boolean', help: "back to the code's scopes" },
      'rate-limit': { type: 'string', value: 'N/WINDOW', help: 'per agent, e.g. 10/min; `none` removes it' },
      description: { type: 'string', value: 'TEXT', help: "replaces the code's description" },
      'reset-description': { type: 'boolean', help: "back to the code's description" },
      ...TENANCY_OPTIONS,
    },
    examples: [
      `mcp-cluster ${plural(kind)} update ${example} --scopes support:read --rate-limit 30/min`,
      `mcp-cluster ${plural(kind)} update ${example} --tenants acme,globex`,
    ],
    async run(ctx) {
      const update = policyUpdate(ctx, this.name);
      const target = await ctx.admin();
      const item = await target.api.updatePolicy({ kind, name: ctx.positionals[0]!, update });
      if (ctx.json) return ctx.printJson(item);
      ctx.print(`Updated ${kind} ${item.name} on ${target.label}:`);
      ctx.print(fields(itemFields(item)));
      ctx.print(TTL_NOTE);
    },
  };
}

export const itemCommands: Command[] = (['resource', 'prompt'] as const).flatMap((kind) => [
  listCommand(kind),
  enableCommand(kind, true),
  enableCommand(kind, false),
  updateCommand(kind),
]);
