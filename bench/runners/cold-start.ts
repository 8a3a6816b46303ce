/**
 * Section 2 runner: one fresh process = one cold start. Records performance.now() (time since the process started)
 * before importing the bundled handler, after the import, and after its first answer: a tools/list, or the tools/call
 * in `BENCH_FIRST_CALL` (`{"name": ..., "arguments": {...}}`), in the era of `BENCH_ERA` (`legacy`, the default, or
 * `modern`: MCP 2026-07-28); prints one `BENCH_RESULT {json}` line and exits.
 */
import { pathToFileURL } from 'node:url';
import { type Era, lambdaContext, type ProxyHandler, proxyEvent, responseProblem, rpcBody } from '../lib/events.js';

const bundle = process.env.BENCH_BUNDLE ?? '';
const apiKey = process.env.BENCH_API_KEY || undefined;
const expectedTools = Number(process.env.BENCH_EXPECTED_TOOLS ?? 'NaN');
const firstCall = process.env.BENCH_FIRST_CALL
  ? (JSON.parse(process.env.BENCH_FIRST_CALL) as { name: string; arguments: Record<string, unknown> })
  : undefined;
const method = firstCall ? 'tools/call' : 'tools/list';
const era: Era = process.env.BENCH_ERA === 'modern' ? 'modern' : 'legacy';

const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

const t0 = performance.now();
const c0 = cpuMs();
const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: ProxyHandler };
const t1 = performance.now();
const c1 = cpuMs();
const response = await handler(
  proxyEvent(rpcBody(method, 1, firstCall, era), { apiKey, method, era, name: firstCall?.name }),
  lambdaContext(),
);
const t2 = performance.now();
const c2 = cpuMs();
const problem = responseProblem(method, response, {
  deep: true,
  era,
  ...(Number.isInteger(expectedTools) ? { expectedTools } : {}),
});
process.stdout.write(
  `\nBENCH_RESULT ${JSON.stringify({ bootMs: t0, importMs: t1 - t0, firstRequestMs: t2 - t1, importCpuMs: c1 - c0, firstRequestCpuMs: c2 - c1, rssBytes: process.memoryUsage().rss, problem, cpuMs: cpuMs() })}\n`,
  () => process.exit(0),
);
