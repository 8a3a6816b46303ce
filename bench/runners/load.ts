/**
 * Section 4 runner: keep-alive load on the local cluster with autocannon, in its own process (started with
 * `node --import tsx`) so the load generator does not share an event loop with the front. Every response is checked:
 * non-2xx, JSON-RPC errors and isError results count as errors.
 */
import autocannon from 'autocannon';
import { reply } from '../lib/child.js';
import { rpcBody } from '../lib/events.js';

export interface LoadConfig {
  url: string;
  apiKey: string;
  connections: number;
  durationSec: number;
  call: { name: string; arguments: Record<string, unknown> };
  /** The call's `_meta`; `[<id>]` in it becomes a fresh id per request (a new idempotency key, say). */
  meta?: Record<string, unknown>;
  expected: unknown;
}

export interface LoadResult {
  requests: number;
  durationSec: number;
  throughput: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  firstError?: string;
  /** CPU time of this load-generator process during the run. */
  cpuMs: number;
}

const config = JSON.parse(process.env.BENCH_CONFIG ?? 'null') as LoadConfig;

async function main(): Promise<LoadResult> {
  const url = new URL(config.url);
  let bad = 0;
  let firstError: string | undefined;
  // Tells the parent the timed part begins (it snapshots CPU counters of the front and workers).
  await new Promise<void>((resolve) =>
    process.send ? process.send({ progress: 'start' }, () => resolve()) : resolve(),
  );
  const cpu = process.cpuUsage();
  const result = await autocannon({
    url: url.origin,
    connections: config.connections,
    pipelining: 1,
    duration: config.durationSec,
    timeout: 10,
    idReplacement: config.meta !== undefined,
    requests: [
      {
        method: 'POST',
        path: url.pathname,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-06-18',
          authorization: `Bearer ${config.apiKey}`,
        },
        body: config.meta
          ? JSON.stringify({
              ...JSON.parse(rpcBody('tools/call', 1, config.call)),
              params: { ...config.call, _meta: config.meta },
            })
          : rpcBody('tools/call', 1, config.call),
        onResponse(status, body) {
          let problem: string | undefined;
          if (status < 200 || status > 299) problem = `HTTP ${status}: ${body.slice(0, 200)}`;
          else {
            try {
              const parsed = JSON.parse(body) as {
                error?: unknown;
                result?: { isError?: boolean; structuredContent?: unknown };
              };
              if (parsed.error) problem = `JSON-RPC error: ${JSON.stringify(parsed.error)}`;
              else if (parsed.result?.isError) problem = `isError: ${body.slice(0, 200)}`;
              else if (JSON.stringify(parsed.result?.structuredContent) !== JSON.stringify(config.expected))
                problem = `unexpected result: ${body.slice(0, 200)}`;
            } catch {
              problem = `not JSON: ${body.slice(0, 200)}`;
            }
          }
          if (problem) {
            bad++;
            firstError ??= problem;
          }
        },
      },
    ],
  });
  const used = process.cpuUsage(cpu);
  // onResponse sees every response (so `bad` covers non-2xx); connection errors and timeouts come on top.
  const errors = Math.max(bad, result.non2xx) + result.errors;
  return {
    requests: result.requests.total,
    durationSec: result.duration,
    throughput: result.requests.total / result.duration,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    errors,
    ...(firstError ? { firstError } : {}),
    cpuMs: (used.user + used.system) / 1000,
  };
}

await reply(main);
