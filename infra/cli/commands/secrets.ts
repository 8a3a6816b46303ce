import { putSecret, secretId } from '../../../shared/admin/secrets.js';
import type { Command } from '../args.js';
import { readSecretValue } from '../stdin.js';

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
