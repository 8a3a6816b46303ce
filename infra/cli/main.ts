/** The entry point of `npx mcp-cluster` (through bin.mjs) and of `node --import tsx infra/cli/main.ts`. */
import { runCli } from './cli.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  now: () => new Date(),
});
