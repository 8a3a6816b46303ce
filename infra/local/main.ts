import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../../shared/config/config.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../../shared/mcp/protocol/versions.js';
import { LOCAL_TABLE_NAME, startLocalCluster } from './cluster.js';
import { CONFORMANCE_FIXTURE } from './fixtures.js';
import { checkIssuer, type IssuerCheck, IssuerConfigProblem } from './oauth-check.js';

/**
 * `npm start`: the local cluster in the foreground, until Ctrl-C. `npm start -- --conformance` also serves the
 * conformance fixture and answers requests without a key (the suite's client cannot send one).
 */
const conformance = process.argv.includes('--conformance');
const env = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    WORKERS: z.coerce.number().int().min(1).max(32).default(2),
    MCP_LOCAL_DIR: z.string().default('.mcp-local'),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  })
  .parse(process.env);

// The workers' settings, checked here first: a problem is named before anything starts, not as a worker that dies.
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig({ ...process.env, REGISTRY_TABLE_NAME: LOCAL_TABLE_NAME });
} catch (error) {
  console.error(`npm start: ${(error as Error).message}`);
  process.exit(1);
}
let issuerCheck: IssuerCheck | undefined;
if (config.OAUTH_ISSUER) {
  try {
    issuerCheck = await checkIssuer(config.OAUTH_ISSUER, { jwksUri: config.OAUTH_JWKS_URI });
  } catch (error) {
    if (!(error instanceof IssuerConfigProblem)) throw error;
    console.error(`npm start: ${error.message}`);
    process.exit(1);
  }
}

const stateDir = resolve(env.MCP_LOCAL_DIR);
const started = Date.now();
const cluster = await startLocalCluster({
  port: env.PORT,
  workers: env.WORKERS,
  stateDir,
  env: { LOG_LEVEL: env.LOG_LEVEL },
  ...(conformance ? { ...CONFORMANCE_FIXTURE, anonymousAccess: true } : {}),
  onLog: (line, worker) => process.stdout.write(`[worker ${worker}] ${line}\n`),
});
writeFileSync(
  join(stateDir, 'dev.json'),
  `${JSON.stringify(
    {
      url: cluster.url,
      apiKey: cluster.apiKey,
      narrowApiKey: cluster.narrowApiKey,
      narrowScopes: cluster.narrowScopes,
    },
    null,
    2,
  )}\n`,
  { mode: 0o600 },
);

/** The tools a key lists, as the cluster answers: what the banner says each key can do. */
async function toolsOf(apiKey: string): Promise<string> {
  try {
    const response = await fetch(cluster.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    const body = (await response.json()) as { result?: { tools: { name: string }[] } };
    return body.result ? body.result.tools.map((tool) => tool.name).join(', ') || 'no tools' : 'unknown';
  } catch {
    return 'unknown';
  }
}
const narrowTools = await toolsOf(cluster.narrowApiKey);
const audience = config.OAUTH_AUDIENCE ?? cluster.url;
const oauthLine = issuerCheck
  ? `\n  OAuth          access tokens (JWT) from ${issuerCheck.issuer} for the audience ${audience}${
      issuerCheck.keys
        ? ` (${issuerCheck.keys} signing key${issuerCheck.keys === 1 ? '' : 's'} at ${issuerCheck.jwksUri})`
        : ''
    }${issuerCheck.warning ? `\n  warning        OAuth: ${issuerCheck.warning.replace(/\n/g, '\n                 ')}` : ''}`
  : '\n  OAuth          off (set OAUTH_ISSUER to accept access tokens: docs/oauth.md)';

const { removed, shadowed } = cluster.sync;
const [modern, ...legacy] = SUPPORTED_PROTOCOL_VERSIONS;
console.log(`
mcp-cluster is running locally (${env.WORKERS} workers, ready in ${Date.now() - started} ms)

  MCP endpoint   ${cluster.url}
  admin API      ${cluster.adminUrl}   for tenant admin keys (npx mcp-cluster ... --endpoint ${cluster.url}); docs/tenants.md
  API key        ${cluster.apiKey}   scope *: every tool, delete_user_account included (development only)
  narrow key     ${cluster.narrowApiKey}   scope ${cluster.narrowScopes.join(' ')}: ${narrowTools}
  auth           API keys (Authorization: Bearer <key>)${oauthLine}
  protocol       MCP ${modern} (stateless), and ${legacy.join(', ')} through initialize
  tools          ${cluster.toolNames.join(', ')}${removed.length ? ` (removed: ${removed.join(', ')})` : ''}
  resources      ${cluster.resourceNames.join(', ') || 'none'}
  prompts        ${cluster.promptNames.join(', ') || 'none'}${
    shadowed.length
      ? `\n  warning        HTTP tools named ${shadowed.join(', ')} are not served: code tools of those names win`
      : ''
  }${
    cluster.anonymousAccess
      ? '\n  conformance    the conformance fixture is served, and requests WITHOUT a key are served as anonymous-local (every scope)'
      : ''
  }
  state          ${stateDir} (dev.json holds the url and both keys for scripts)

Try it with the MCP Inspector CLI (it speaks ${modern} with --protocol-era modern or auto):
  npx @modelcontextprotocol/inspector@latest --cli ${cluster.url} --transport http --protocol-era auto --method tools/list --header "Authorization: Bearer ${cluster.apiKey}"

Or with curl:
  curl -s ${cluster.url} -H "Authorization: Bearer ${cluster.apiKey}" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\
    -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_weather_forecast","arguments":{"city":"Lisbon"}}}'

Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local cluster...`);
  await cluster.stop();
  console.log('stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
