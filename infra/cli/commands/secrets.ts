import type { AdminApi } from '../../../shared/admin/admin-api.js';
import { type SecretState, secretId } from '../../../shared/admin/secrets.js';
import type { Command } from '../args.js';
import { readSecretValue } from '../stdin.js';

/**
 * What to tell an operator about the secret tools authenticate with (`subject`: "It authenticates", "The tools
 * authenticate"): to store it when it is not stored, that it is when it is. When the target names no secrets prefix or
 * the secret's metadata cannot be read (no secretsmanager:DescribeSecret), the hint is given as a condition.
 */
export async function secretNote(
  api: AdminApi,
  name: string,
  subject: string,
  options: { perTenant?: boolean } = {},
): Promise<string> {
  // A shared tool's callers of other tenants read their tenant's own secret first (docs/tenants.md).
  const put = `"mcp-cluster secrets put ${name}"${options.perTenant ? ` (or a tenant's own: "mcp-cluster secrets put TENANT/${name}")` : ''}`;
  let state: SecretState | undefined;
  try {
    state = (await api.secretState({ name })).state;
  } catch {
    state = undefined;
  }
  switch (state) {
    case 'stored':
      return `${subject} with the secret ${name}, which is stored.`;
    case 'missing':
      return `${subject} with the secret ${name}, which is not stored yet: store it with ${put}.`;
    case 'deleting':
      return `${subject} with the secret ${name}, which is scheduled for deletion: restore it first (aws secretsmanager restore-secret).`;
    default:
      return `${subject} with the secret ${name}: store it with ${put} if it is not stored yet.`;
  }
}

const secretsPut: Command = {
  name: 'secrets put',
  summary: "store a tool's secret (value from stdin)",
  synopsis: 'NAME < value',
  description:
    'Stores a value as the current version of the secret <prefix>NAME (created if new), where NAME is what a\n' +
    "tool's `secrets` binding names (e.g. weather-api). The value is read from stdin: piped (one trailing newline\n" +
    'is dropped) or typed at a hidden prompt. It is never taken as an argument and never printed.\n' +
    'Tools use the new value within SECRETS_TTL_MS (60 s by default). Through the admin API (--endpoint) NAME is\n' +
    "the tenant's own: it is stored as <prefix><tenant>/NAME, which its callers' tools read before the shared one.",
  positionals: ['NAME'],
  options: {},
  examples: [
    `printf '%s' '{"apiKey":"…","baseUrl":"https://api.example.com"}' | mcp-cluster secrets put weather-api`,
    'mcp-cluster secrets put weather-api < weather-api.json',
    'mcp-cluster secrets put weather-api          # prompts, without echo',
  ],
  async run(ctx) {
    const name = ctx.positionals[0]!;
    secretId('', name); // refuse a bad name before asking for the value
    const target = await ctx.admin();
    if (!target.remote) (await ctx.target()).secrets(); // a target without a secrets prefix fails before the prompt
    const value = await readSecretValue(ctx.io, `Value of the secret ${name} (input hidden, Enter to finish): `);
    ctx.redactor.add(value);
    const stored = await target.api.putSecret({ name, value });
    if (ctx.json) return ctx.printJson(stored);
    ctx.print(
      `Stored ${stored.name} on ${target.label} (${stored.created ? 'new secret' : 'new version'}). ` +
        'Tools use it within SECRETS_TTL_MS (60 s by default).',
    );
  },
};

export const secretCommands: Command[] = [secretsPut];
