import type { TenantSummary } from '../../../shared/admin/tenants.js';
import { formatRateLimit } from '../../../shared/rate-limit/rate-limit.js';
import { type Command, splitList, stringOption, UsageError } from '../args.js';
import { fields, formatTime, table } from '../format.js';
import { parseRateLimitFlag } from './keys.js';

function tenantFields(tenant: TenantSummary): [string, string][] {
  return [
    ['tenant', tenant.tenant],
    ['description', tenant.description ?? '-'],
    ['rate limit', tenant.rateLimit ? `${formatRateLimit(tenant.rateLimit)} across its agents` : 'none'],
    [
      'admin grants',
      tenant.grantableScopes ? tenant.grantableScopes.join(', ') : 'none (its admin makes no agent key)',
    ],
    ['version', String(tenant.version)],
    ['updated', tenant.updatedAt ? formatTime(tenant.updatedAt) : '-'],
  ];
}

const tenantsList: Command = {
  name: 'tenants list',
  summary: 'list the tenants that have a policy (a limit, a description)',
  synopsis: '[--json]',
  description:
    'Lists the tenants operators gave a policy, with their rate limit across all their agents. A tenant needs no\n' +
    "policy to exist: keys and tokens name it (keys list shows every key's tenant).",
  options: {},
  examples: ['mcp-cluster tenants list', 'mcp-cluster tenants list --stack McpCluster-prod --json'],
  async run(ctx) {
    const admin = await ctx.admin();
    const { tenants } = await admin.api.listTenants({});
    if (ctx.json) return ctx.printJson({ tenants });
    if (tenants.length === 0) return ctx.print(`No tenant has a policy on ${admin.label}.`);
    ctx.print(
      table(
        ['TENANT', 'RATE LIMIT', 'ADMIN GRANTS', 'DESCRIPTION', 'UPDATED'],
        tenants.map((tenant) => [
          tenant.tenant,
          tenant.rateLimit ? formatRateLimit(tenant.rateLimit) : '-',
          tenant.grantableScopes?.join(',') ?? '-',
          tenant.description ?? '-',
          tenant.updatedAt ? formatTime(tenant.updatedAt) : '-',
        ]),
      ),
    );
  },
};

const tenantsShow: Command = {
  name: 'tenants show',
  summary: "show a tenant's policy",
  synopsis: 'TENANT [--json]',
  description: "Shows a tenant's policy: its description and its rate limit across all its agents.",
  positionals: ['TENANT'],
  options: {},
  examples: ['mcp-cluster tenants show acme'],
  async run(ctx) {
    const admin = await ctx.admin();
    const tenant = await admin.api.showTenant({ tenant: ctx.positionals[0]! });
    if (ctx.json) return ctx.printJson(tenant);
    ctx.print(fields(tenantFields(tenant)));
  },
};

const tenantsUpdate: Command = {
  name: 'tenants update',
  summary: "set a tenant's rate limit (across its agents), the scopes its admin may grant, or its description",
  synopsis:
    'TENANT [--rate-limit N/WINDOW | --no-rate-limit] [--grantable-scopes A,B | --no-grantable-scopes] [--description TEXT | --no-description]',
  description:
    "Sets a tenant's policy, creating it on first use. The rate limit counts the calls (tools/call, resources/read,\n" +
    "prompts/get) of all the tenant's agents together, exactly across instances, on top of the limits per agent\n" +
    'per tool (tools update) and per agent (keys create). Instances follow within REGISTRY_TTL_MS. The grantable\n' +
    "scopes are all the tenant's admin may give the agent keys it makes (`*`: any); without them it makes none.\n" +
    'Only the platform operator changes tenants.',
  positionals: ['TENANT'],
  options: {
    'rate-limit': { type: 'string', value: 'N/WINDOW', help: "calls of all the tenant's agents, e.g. 1000/min" },
    'no-rate-limit': { type: 'boolean', help: 'remove the limit' },
    'grantable-scopes': {
      type: 'string',
      value: 'A,B',
      help: "the scopes the tenant's admin may grant its agents' keys (`*`: any)",
    },
    'no-grantable-scopes': { type: 'boolean', help: 'its admin makes no agent key' },
    description: { type: 'string', value: 'TEXT', help: 'a note for operators (who the tenant is)' },
    'no-description': { type: 'boolean', help: 'remove the description' },
  },
  examples: [
    'mcp-cluster tenants update acme --rate-limit 1000/min --description "Acme Corp"',
    'mcp-cluster tenants update acme --grantable-scopes crm:read,weather:read',
    'mcp-cluster tenants update acme --no-rate-limit',
  ],
  async run(ctx) {
    const { values } = ctx;
    const rateLimitText = stringOption(values, 'rate-limit');
    const description = stringOption(values, 'description');
    if (rateLimitText !== undefined && values['no-rate-limit'] === true) {
      throw new UsageError('--rate-limit and --no-rate-limit exclude each other', this.name);
    }
    if (description !== undefined && values['no-description'] === true) {
      throw new UsageError('--description and --no-description exclude each other', this.name);
    }
    const grantable = stringOption(values, 'grantable-scopes');
    if (grantable !== undefined && values['no-grantable-scopes'] === true) {
      throw new UsageError('--grantable-scopes and --no-grantable-scopes exclude each other', this.name);
    }
    if (grantable !== undefined && splitList(grantable).length === 0) {
      throw new UsageError('--grantable-scopes needs a scope (or --no-grantable-scopes)', this.name);
    }
    const update = {
      ...(rateLimitText !== undefined ? { rateLimit: parseRateLimitFlag(rateLimitText, this.name) } : {}),
      ...(grantable !== undefined ? { grantableScopes: splitList(grantable) } : {}),
      ...(values['no-grantable-scopes'] === true ? { grantableScopes: null } : {}),
      ...(values['no-rate-limit'] === true ? { rateLimit: null } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(values['no-description'] === true ? { description: null } : {}),
    };
    if (Object.keys(update).length === 0) {
      throw new UsageError(
        'nothing to update: give --rate-limit, --grantable-scopes, --description or one of their --no- forms',
        this.name,
      );
    }
    const admin = await ctx.admin();
    const tenant = await admin.api.updateTenant({ tenant: ctx.positionals[0]!, update });
    if (ctx.json) return ctx.printJson(tenant);
    ctx.print(`Updated tenant ${tenant.tenant} on ${admin.label} (version ${tenant.version}):`);
    ctx.print(fields(tenantFields(tenant)));
  },
};

export const tenantCommands: readonly Command[] = [tenantsList, tenantsShow, tenantsUpdate];
