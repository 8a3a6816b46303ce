import type { ApiKeySummary } from '../../../shared/admin/api-keys.js';
import { formatRateLimit, parseRateLimit } from '../../../shared/rate-limit/rate-limit.js';
import type { RateLimit } from '../../../shared/store/items.js';
import { type Command, requiredOption, splitList, stringOption, UsageError, valueError } from '../args.js';
import { fields, formatTime, table } from '../format.js';
import { parseTime, TIME_HELP } from '../time.js';

export function parseRateLimitFlag(text: string, command: string): RateLimit {
  try {
    return parseRateLimit(text);
  } catch (error) {
    throw valueError(`--rate-limit: ${(error as Error).message}`, command);
  }
}

const keysCreate: Command = {
  name: 'keys create',
  summary: 'create an API key for an agent (shown once)',
  synopsis:
    '--agent ID (--scopes A,B | --admin) [--tenant T] [--expires WHEN] [--rate-limit N/WINDOW] [--description TEXT]',
  description:
    'Creates an API key and prints it once: only its SHA-256 is stored, so it cannot be shown again.\n' +
    'The key sees and may call the tools whose scopes it holds (`*` holds every scope).\n' +
    "With --admin it is a tenant admin key instead: it administers its tenant's keys, secrets and audit records\n" +
    'through the admin API (--endpoint) and calls no tool (no scopes). Only the platform operator (AWS\n' +
    'credentials) makes one, for a tenant other than `default`. Through the admin API, keys are of its tenant.',
  options: {
    agent: { type: 'string', value: 'ID', help: 'the agent the key identifies (in audit records and rate limits)' },
    scopes: { type: 'string', value: 'A,B', help: 'comma-separated scopes the key grants; `*` grants all' },
    admin: { type: 'boolean', help: 'a tenant admin key for --tenant T (no scopes; platform operator only)' },
    tenant: { type: 'string', value: 'T', help: "the agent's tenant (default: default; the admin key's own)" },
    expires: { type: 'string', value: 'WHEN', help: `when the key stops working: ${TIME_HELP}` },
    'rate-limit': { type: 'string', value: 'N/WINDOW', help: 'calls across all tools, e.g. 100/min, 1000/h' },
    description: { type: 'string', value: 'TEXT', help: 'a note for operators (what the key is for)' },
  },
  examples: [
    'mcp-cluster keys create --agent weather-bot --scopes weather:read --expires 30d',
    'mcp-cluster keys create --agent billing-assistant --tenant billing --scopes billing:read --rate-limit 1000/h --json',
    'mcp-cluster keys create --agent acme-admin --tenant acme --admin --expires 90d --stack McpCluster-prod',
  ],
  async run(ctx) {
    const { values } = ctx;
    const agentId = requiredOption(values, 'agent', this.name);
    const admin = values.admin === true;
    if (admin && stringOption(values, 'scopes') !== undefined) {
      throw new UsageError('a tenant admin key (--admin) takes no --scopes: it calls no tool', this.name);
    }
    if (admin && stringOption(values, 'tenant') === undefined) {
      throw new UsageError('--admin needs --tenant T: the tenant the key administers', this.name);
    }
    const scopes = admin ? [] : splitList(requiredOption(values, 'scopes', this.name));
    if (!admin && scopes.length === 0) throw new UsageError('--scopes needs at least one scope', this.name);
    const now = ctx.io.now();
    const expires = stringOption(values, 'expires');
    let expiresAt: Date | undefined;
    if (expires !== undefined) {
      try {
        expiresAt = parseTime(expires, { now, direction: 'future' });
      } catch (error) {
        throw valueError(`--expires: ${(error as Error).message}`, this.name);
      }
      if (expiresAt.getTime() <= now.getTime()) {
        throw valueError(`--expires: ${expiresAt.toISOString()} is not in the future`, this.name);
      }
    }
    const rateLimitText = stringOption(values, 'rate-limit');
    const rateLimit = rateLimitText === undefined ? undefined : parseRateLimitFlag(rateLimitText, this.name);
    const tenant = stringOption(values, 'tenant');
    const description = stringOption(values, 'description');
    const target = await ctx.admin();
    const { key, summary } = await target.api.createKey({
      agentId,
      scopes,
      ...(admin ? { role: 'tenant-admin' as const } : {}),
      ...(tenant !== undefined ? { tenant } : {}),
      ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
      ...(rateLimit ? { rateLimit } : {}),
      ...(description !== undefined ? { description } : {}),
    });
    if (ctx.json) ctx.printJson({ key, ...summary });
    else {
      const what =
        summary.role === 'tenant-admin'
          ? `a tenant admin key for ${summary.tenant} (agent ${summary.agentId})`
          : `an API key for agent ${summary.agentId}`;
      ctx.print(`Created ${what} on ${target.label}:`);
      ctx.print();
      ctx.print(fields(keyFields(summary, key)));
      ctx.print();
    }
    ctx.warn('This is the only time the key is shown: it is not stored and cannot be shown again. Copy it now.');
  },
};

function keyFields(summary: ApiKeySummary, key?: string): [string, string][] {
  return [
    ...(key ? [['key', key] as [string, string]] : []),
    ['key id', summary.keyId],
    ['agent', summary.agentId],
    ['tenant', summary.tenant],
    ...(summary.role === 'tenant-admin'
      ? [['role', 'tenant admin (the admin API only; no tool)'] as [string, string]]
      : [['scopes', summary.scopes.join(', ')] as [string, string]]),
    ['expires', summary.expiresAt ? formatTime(summary.expiresAt) : 'never'],
    ['rate limit', summary.rateLimit ? formatRateLimit(summary.rateLimit) : 'none'],
    ...(summary.description ? [['description', summary.description] as [string, string]] : []),
  ];
}

const keysList: Command = {
  name: 'keys list',
  summary: 'list API keys (never the keys themselves)',
  synopsis: '[--json]',
  description:
    'Lists every API key: id, agent, tenant, role (agent or tenant-admin), scopes, creation and expiry, and status\n' +
    "(active, expired, revoked). Through the admin API (--endpoint), the tenant's keys only.",
  options: {},
  examples: ['mcp-cluster keys list', 'mcp-cluster keys list --stack McpCluster-prod --json'],
  async run(ctx) {
    const target = await ctx.admin();
    const { keys, skipped } = await target.api.listKeys({});
    for (const { id, problem } of skipped) ctx.warn(`warning: skipped a malformed API key item (${id}): ${problem}`);
    if (ctx.json) return ctx.printJson({ keys });
    if (keys.length === 0) return ctx.print(`No API keys on ${target.label}.`);
    ctx.print(
      table(
        ['KEY ID', 'AGENT', 'TENANT', 'ROLE', 'SCOPES', 'CREATED', 'EXPIRES', 'STATUS'],
        keys.map((key) => [
          key.keyId,
          key.agentId,
          key.tenant,
          key.role,
          key.role === 'tenant-admin' ? '-' : key.scopes.join(','),
          formatTime(key.createdAt),
          key.expiresAt ? formatTime(key.expiresAt) : 'never',
          key.status,
        ]),
      ),
    );
  },
};

const keysRevoke: Command = {
  name: 'keys revoke',
  summary: 'revoke an API key by its id',
  synopsis: 'KEY_ID',
  description:
    'Revokes an API key (by its id, key_…, as `keys list` shows it). Every instance refuses it within\n' +
    'AUTH_CACHE_TTL_MS (10 s by default). Revoking is final: create a new key to restore access.',
  positionals: ['KEY_ID'],
  options: {},
  examples: ['mcp-cluster keys revoke key_3f9a0c1d2e4b5a69'],
  async run(ctx) {
    const target = await ctx.admin();
    const summary = await target.api.revokeKey({ keyId: ctx.positionals[0]! });
    if (ctx.json) return ctx.printJson(summary);
    ctx.print(
      `Revoked ${summary.keyId} (agent ${summary.agentId}, tenant ${summary.tenant}) on ${target.label}.\n` +
        'Instances refuse it within AUTH_CACHE_TTL_MS (10 s by default).',
    );
  },
};

export const keyCommands: Command[] = [keysCreate, keysList, keysRevoke];
