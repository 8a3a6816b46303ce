import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../../shared/mcp/protocol/versions.js';
import { startLocalCluster } from './cluster.js';
import { CONFORMANCE_TOOLS_DIR } from './fixtures.js';

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

const stateDir = resolve(env.MCP_LOCAL_DIR);
const started = Date.now();
const cluster = await startLocalCluster({
  port: env.PORT,
  workers: env.WORKERS,
  stateDir,
  env: { LOG_LEVEL: env.LOG_LEVEL },
  ...(conformance ? { extraToolDirs: [CONFORMANCE_TOOLS_DIR], anonymousAccess: true } : {}),
  onLog: (line, worker) => process.stdout.write(`[worker ${worker}] ${line}\n`),
});
writeFileSync(
  join(stateDir, 'dev.json'),
  `${JSON.stringify({ url: cluster.url, apiKey: cluster.apiKey }, null, 2)}\n`,
  { mode: 0o600 },
);

const { removed, shadowed } = cluster.sync;
const [modern, ...legacy] = SUPPORTED_PROTOCOL_VERSIONS;
console.log(`
mcp-cluster is running locally (${env.WORKERS} workers, ready in ${Date.now() - started} ms)

  MCP endpoint   ${cluster.url}
  API key        ${cluster.apiKey}
  protocol       MCP ${modern} (stateless), and ${legacy.join(', ')} through initialize
  tools          ${cluster.toolNames.join(', ')}${removed.length ? ` (removed: ${removed.join(', ')})` : ''}${
    shadowed.length
      ? `\n  warning        HTTP tools named ${shadowed.join(', ')} are not served: code tools of those names win`
      : ''
  }${
    cluster.anonymousAccess
      ? '\n  conformance    the conformance fixture is served, and requests WITHOUT a key are served as anonymous-local (every scope)'
      : ''
  }
  state          ${stateDir} (dev.json holds the url and key for scripts)

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
