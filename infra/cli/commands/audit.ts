import type { AuditRecord } from '../../../shared/audit/audit.js';
import { type Command, stringOption, valueError } from '../args.js';
import { formatTime, table } from '../format.js';
import { parseTime, TIME_HELP } from '../time.js';

const DEFAULT_SINCE = '24h';
const DEFAULT_LIMIT = 100;

/** One audit record in `--json` output: every field present (`null` when absent), so scripts can rely on the shape. */
function jsonRecord(record: AuditRecord) {
  return {
    time: record.time,
    requestId: record.requestId,
    agentId: record.agentId,
    onBehalfOf: record.onBehalfOf ?? null,
    tenant: record.tenant,
    credentialId: record.credentialId,
    tool: record.tool,
    toolVersion: record.toolVersion ?? null,
    outcome: record.outcome,
    errorCode: record.errorCode ?? null,
    latencyMs: record.latencyMs,
    argumentsDigest: record.argumentsDigest,
    arguments: record.arguments ?? null,
  };
}

const formatLatency = (ms: number) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;

const auditQuery: Command = {
  name: 'audit query',
  summary: 'show the latest tools/call audit records',
  synopsis: '[--agent ID] [--tool NAME] [--tenant T] [--since WHEN] [--until WHEN] [--limit N] [--json]',
  description:
    'Shows the latest audit records of a time range, oldest first: one per tools/call, whatever the outcome.\n' +
    'By agent, tenant or tool it is a DynamoDB Query (the most selective, filtered by the others); with none it\n' +
    "scans the audit table (fine for ad-hoc use). Through the admin API, the key's tenant's records only.",
  options: {
    agent: { type: 'string', value: 'ID', help: "only this agent's calls" },
    tenant: { type: 'string', value: 'T', help: "only calls of this tenant's agents" },
    tool: { type: 'string', value: 'NAME', help: 'only calls of this tool' },
    since: { type: 'string', value: 'WHEN', help: `start of the range (default ${DEFAULT_SINCE} ago): ${TIME_HELP}` },
    until: { type: 'string', value: 'WHEN', help: 'end of the range, exclusive (default now)' },
    limit: { type: 'string', value: 'N', help: `at most the latest N records (default ${DEFAULT_LIMIT})` },
  },
  examples: [
    'mcp-cluster audit query --since 1h',
    'mcp-cluster audit query --agent billing-assistant --since 24h',
    'mcp-cluster audit query --tool delete_user_account --since 7d --json',
    'mcp-cluster audit query --tenant acme --since 24h',
    'mcp-cluster audit query --since 2026-03-01 --until 2026-03-02 --limit 1000',
  ],
  async run(ctx) {
    const { values } = ctx;
    const now = ctx.io.now();
    const time = (flag: 'since' | 'until', fallback: string) => {
      try {
        return parseTime(stringOption(values, flag) ?? fallback, { now, direction: 'past' }).toISOString();
      } catch (error) {
        throw valueError(`--${flag}: ${(error as Error).message}`, this.name);
      }
    };
    const since = time('since', DEFAULT_SINCE);
    const until = time('until', 'now');
    if (since >= until) throw valueError(`--since (${since}) must be before --until (${until})`, this.name);
    const limitText = stringOption(values, 'limit') ?? String(DEFAULT_LIMIT);
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || !Number.isSafeInteger(limit) || limit < 1) {
      throw valueError(`--limit "${limitText}" is not a positive whole number`, this.name);
    }
    const agentId = stringOption(values, 'agent');
    const tool = stringOption(values, 'tool');
    const tenant = stringOption(values, 'tenant');
    const target = await ctx.admin();
    // `until` is exclusive for scripts; "now" includes the records of this very second.
    const { records, truncated } = await target.api.searchAudit({
      since,
      until: stringOption(values, 'until') === undefined ? new Date(now.getTime() + 1000).toISOString() : until,
      limit,
      ...(agentId ? { agentId } : {}),
      ...(tool ? { tool } : {}),
      ...(tenant ? { tenant } : {}),
    });
    if (ctx.json) return ctx.printJson({ since, until, truncated, records: records.map(jsonRecord) });
    if (records.length === 0) {
      return ctx.print(`No audit records on ${target.label} from ${formatTime(since)} to ${formatTime(until)}.`);
    }
    ctx.print(
      table(
        ['TIME', 'TENANT', 'AGENT', 'ON BEHALF OF', 'TOOL', 'OUTCOME', 'ERROR', 'LATENCY'],
        records.map((record) => [
          formatTime(record.time),
          record.tenant,
          record.agentId,
          record.onBehalfOf ?? '-',
          record.tool,
          record.outcome,
          record.errorCode ?? '-',
          formatLatency(record.latencyMs),
        ]),
      ),
    );
    if (truncated) {
      ctx.print(`\nShowing the latest ${records.length} records; use --limit, --since or --until to see others.`);
    }
  },
};

export const auditCommands: Command[] = [auditQuery];
