/**
 * Section 2 runner: one fresh process = one cold start. Records performance.now() (time since the process started)
 * before importing the bundled handler, after the import, and after its first tools/list answer; prints one
 * `BENCH_RESULT {json}` line and exits.
 */
import { pathToFileURL } from 'node:url';
import { lambdaContext, type ProxyHandler, proxyEvent, responseProblem, rpcBody } from '../lib/events.js';

const bundle = process.env.BENCH_BUNDLE ?? '';
const apiKey = process.env.BENCH_API_KEY || undefined;
const expectedTools = Number(process.env.BENCH_EXPECTED_TOOLS ?? 'NaN');

const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

const t0 = performance.now();
const c0 = cpuMs();
const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: ProxyHandler };
const t1 = performance.now();
const c1 = cpuMs();
const response = await handler(proxyEvent(rpcBody('tools/list', 1), { apiKey, method: 'tools/list' }), lambdaContext());
const t2 = performance.now();
const c2 = cpuMs();
const problem = responseProblem('tools/list', response, {
  deep: true,
  ...(Number.isInteger(expectedTools) ? { expectedTools } : {}),
});
process.stdout.write(
  `\nBENCH_RESULT ${JSON.stringify({ bootMs: t0, importMs: t1 - t0, firstRequestMs: t2 - t1, importCpuMs: c1 - c0, firstRequestCpuMs: c2 - c1, rssBytes: process.memoryUsage().rss, problem, cpuMs: cpuMs() })}\n`,
  () => process.exit(0),
);
