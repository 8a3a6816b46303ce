import { putSecret, secretId, secretState } from '../../../shared/admin/secrets.js';
import type { Command } from '../args.js';
import { readSecretValue } from '../stdin.js';
import type { Target } from '../target.js';

/**
 * What to tell an operator about the secret tools authenticate with (`subject`: "It authenticates", "The tools
 * authenticate"): to store it when it is not stored, that it is when it is. When the target names no secrets prefix or
 * the secret's metadata cannot be read (no secretsmanager:DescribeSecret), the hint is given as a condition.
 */
export async function secretNote(target: Target, name: string, subject: string): Promise<string> {
  const put = `"mcp-cluster secrets put ${name}"`;
  let state: Awaited<ReturnType<typeof secretState>> | undefined;
  try {
    state = await secretState(target.secrets(), name);
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
    'Tools use the new value within SECRETS_TTL_MS (60 s by default).',
  positionals: ['NAME'],
  options: {},
  examples: [
    `printf '%s' '{"apiKey":"…","baseUrl":"https://api.example.com"}' | mcp-cluster secrets put weather-api`,
    'mcp-cluster secrets put weather-api < weather-api.json',
    'mcp-cluster secrets put weather-api          # prompts, without echo',
  ],
  async run(ctx) {
    const target = await ctx.target();
    const secrets = target.secrets();
    const id = secretId(secrets.prefix, ctx.positionals[0]!); // refuse a bad name before asking for the value
    const value = await readSecretValue(ctx.io, `Value of ${id} (input hidden, Enter to finish): `);
    ctx.redactor.add(value);
    const stored = await putSecret(secrets, ctx.positionals[0]!, value);
    if (ctx.json) return ctx.printJson(stored);
    ctx.print(
      `Stored ${stored.name} on ${target.label} (${stored.created ? 'new secret' : 'new version'}). ` +
        'Tools use it within SECRETS_TTL_MS (60 s by default).',
    );
  },
};

export const secretCommands: Command[] = [secretsPut];
