/**
 * Section 1 runner (a child process of bench/run.ts, started with plain `node --expose-gc`; its stdout, where ours
 * writes one audit line per tools/call, goes to /dev/null). Loads every instance (ours and the SDK recipes, in the
 * eras they are asked in) at every tool count into this one process and measures them in rounds, the instances of a
 * tool count back to back in an order rotated every round, so the machine's noise hits them all alike.
 */
import { pathToFileURL } from 'node:url';
import { reply } from '../lib/child.js';
import {
  type BenchMethod,
  type Era,
  lambdaContext,
  type ProxyHandler,
  proxyEvent,
  responseProblem,
  rpcBody,
  rpcMessage,
} from '../lib/events.js';
import { roundOrder } from '../lib/rotation.js';
import { percentile } from '../lib/stats.js';

/** Who answers: ours, the SDK 1.x stateless recipe, or the SDK v2 one (`createMcpHandler`). */
export type Impl = 'ours' | 'sdk-v1' | 'sdk-v2';

export interface InProcessInstance {
  id: string;
  impl: Impl;
  /** The era of every request the instance is sent. */
  era: Era;
  tools: number;
  bundle: string;
  /**
   * The module instance it is: instances with the same `module` share one import (one Lambda instance, asked in
   * both eras: the same code, caches and JIT state, only the requests differ).
   */
  module: string;
  /** Environment read at import (BENCH_TOOLS, REGISTRY_TABLE_NAME, TTLs...); the same for instances of one module. */
  env: Record<string, string>;
  apiKey?: string;
  call: { name: string; arguments: Record<string, unknown> };
}

/**
 * What one measured operation is: one JSON-RPC request, except `tools/list:all`, which lists the whole registry by
 * following `nextCursor` (one request for an unpaginated server; its latency is the sum of the handler calls).
 */
export type Scenario = BenchMethod | 'tools/list:all';

export interface InProcessConfig {
  instances: InProcessInstance[];
  scenarios: Scenario[];
  rounds: number;
  roundMs: number;
  warmupMs: number;
  minPerRound: number;
}

export interface CellResult {
  id: string;
  impl: Impl;
  era: Era;
  tools: number;
  scenario: Scenario;
  /** Handler calls per operation (pages of a full listing; 1 otherwise). */
  callsPerOperation: number;
  /** Operations measured. */
  requests: number;
  elapsedMs: number;
  /** Operations per second over the measured wall time (sequential awaits). */
  throughput: number;
  /** Throughput of each round, in round order. */
  roundThroughput: number[];
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  /** Bytes of the response body (all pages for a full listing). */
  responseBytes: number;
  /** Median time to JSON.stringify the returned proxy result(s) (done by the Lambda runtime, outside the handler). */
  serializeMs: number;
  errors: number;
  firstError?: string;
}

export interface InProcessResult {
  /** Per module. */
  importMs: Record<string, number>;
  /** Wall time of the warm-up and of the heap collections before the cells (not measured time). */
  warmupMs: number;
  gcMs: number;
  /** Live heap (after a collection) once every module is imported, and at the end. */
  heapUsedBytes: { imported: number; end: number };
  cells: CellResult[];
}

interface Loaded extends InProcessInstance {
  handler: ProxyHandler;
  /** The cursors of a full listing: `undefined` for the first page, then each `nextCursor`. */
  cursors: (string | undefined)[];
  firstPageTools: number;
}

interface Acc {
  latencies: number[];
  elapsedMs: number;
  roundThroughput: number[];
  responseBytes: number;
  serializeMs: number[];
  errors: number;
  firstError?: string;
}

const config = JSON.parse(process.env.BENCH_CONFIG ?? 'null') as InProcessConfig;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
let sequence = 0;

function call(instance: Pick<Loaded, 'apiKey' | 'call' | 'era'>, method: BenchMethod, cursor?: string) {
  const params = method === 'tools/call' ? instance.call : cursor === undefined ? undefined : { cursor };
  const event = proxyEvent(rpcBody(method, ++sequence, params, instance.era), {
    apiKey: instance.apiKey,
    method,
    era: instance.era,
    name: instance.call.name,
  });
  return { event, context: lambdaContext() };
}

/** Lists every page once, checking each in depth: the cursors the measured full listings then replay. */
async function discoverPages(instance: Omit<Loaded, 'cursors' | 'firstPageTools'>) {
  const cursors: (string | undefined)[] = [undefined];
  const names = new Set<string>();
  let firstPageTools = 0;
  for (;;) {
    const cursor = cursors[cursors.length - 1];
    const { event, context } = call(instance, 'tools/list', cursor);
    const response = await instance.handler(event, context);
    const problem = responseProblem('tools/list', response, { deep: true, era: instance.era });
    if (problem) throw new Error(`${instance.id} tools/list: ${problem}`);
    const page = rpcMessage(response).result as { tools: { name: string }[]; nextCursor?: string };
    if (cursor === undefined) firstPageTools = page.tools.length;
    for (const tool of page.tools) names.add(tool.name);
    if (!page.nextCursor) break;
    if (cursors.length > 10_000) throw new Error(`${instance.id}: tools/list never ends`);
    cursors.push(page.nextCursor);
  }
  if (names.size !== instance.tools) {
    throw new Error(
      `${instance.id}: a full tools/list listed ${names.size} distinct tools, expected ${instance.tools}`,
    );
  }
  return { cursors, firstPageTools };
}

async function run(instance: Loaded, scenario: Scenario, ms: number, min: number, acc?: Acc): Promise<Acc> {
  const result: Acc = acc ?? emptyAcc();
  const method: BenchMethod = scenario === 'tools/list:all' ? 'tools/list' : scenario;
  const cursors = scenario === 'tools/list:all' ? instance.cursors : [undefined];
  let count = 0;
  const start = performance.now();
  let end = start;
  while (end - start < ms || count < min) {
    let latency = 0;
    const responses = [];
    for (const cursor of cursors) {
      const { event, context } = call(instance, method, cursor);
      const before = performance.now();
      responses.push(await instance.handler(event, context));
      latency += performance.now() - before;
    }
    end = performance.now();
    result.latencies.push(latency);
    count++;
    // Small bodies are parsed every time; tools/list bodies (up to ~1 MB) on the first operation of each round only:
    // any look at them (even startsWith) would flatten the handler's string inside the timed loop.
    for (const response of responses) {
      const problem = responseProblem(method, response, {
        era: instance.era,
        deep: method !== 'tools/list' || count === 1,
        ...(count === 1 && scenario === 'tools/list' ? { expectedTools: instance.firstPageTools } : {}),
      });
      if (problem) {
        result.errors++;
        result.firstError ??= `${instance.id} ${scenario}: ${problem}`;
      }
    }
    if (count === 1) {
      // Once per round, outside the timed calls: what the Lambda runtime then does with each result (JSON.stringify).
      const before = performance.now();
      for (const response of responses) JSON.stringify(response);
      result.serializeMs.push(performance.now() - before);
      result.responseBytes = responses.reduce((sum, response) => sum + Buffer.byteLength(response.body), 0);
    }
  }
  result.elapsedMs += end - start;
  result.roundThroughput.push((count / (end - start)) * 1000);
  return result;
}

async function main(): Promise<InProcessResult> {
  const loaded: Loaded[] = [];
  const importMs: Record<string, number> = {};
  const modules = new Map<string, ProxyHandler>();
  for (const instance of config.instances) {
    let handler = modules.get(instance.module);
    if (!handler) {
      Object.assign(process.env, instance.env);
      const started = performance.now();
      const module = (await import(`${pathToFileURL(instance.bundle).href}?module=${instance.module}`)) as {
        handler: ProxyHandler;
      };
      importMs[instance.module] = performance.now() - started;
      handler = module.handler;
      modules.set(instance.module, handler);
    }
    const pages = await discoverPages({ ...instance, handler });
    loaded.push({ ...instance, handler, ...pages });
  }

  const liveHeap = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  const imported = liveHeap();
  // Warm-up: caches filled (API key, registry snapshot, secrets), code optimised, every answer checked in depth.
  const warmupStarted = performance.now();
  for (const instance of loaded) {
    for (const scenario of config.scenarios) {
      const warm = await run(instance, scenario, config.warmupMs, 5);
      if (warm.errors) throw new Error(`warm-up failed: ${warm.firstError}`);
    }
  }

  const warmupMs = performance.now() - warmupStarted;
  let gcMs = 0;
  const accs = new Map<string, Acc>();
  const toolCounts = [...new Set(loaded.map((i) => i.tools))];
  for (let round = 0; round < config.rounds; round++) {
    for (const scenario of config.scenarios) {
      for (const tools of toolCounts) {
        for (const instance of roundOrder(
          loaded.filter((i) => i.tools === tools),
          round,
        )) {
          const key = `${instance.id}|${scenario}`;
          const beforeGc = performance.now();
          gc(); // each cell starts with a clean heap and pays for its own garbage
          gcMs += performance.now() - beforeGc;
          accs.set(key, await run(instance, scenario, config.roundMs, config.minPerRound, accs.get(key) ?? emptyAcc()));
        }
      }
    }
  }

  const cells: CellResult[] = [];
  for (const instance of loaded) {
    for (const scenario of config.scenarios) {
      const acc = accs.get(`${instance.id}|${scenario}`)!;
      const sum = acc.latencies.reduce((a, b) => a + b, 0);
      cells.push({
        id: instance.id,
        impl: instance.impl,
        era: instance.era,
        tools: instance.tools,
        scenario,
        callsPerOperation: scenario === 'tools/list:all' ? instance.cursors.length : 1,
        requests: acc.latencies.length,
        elapsedMs: acc.elapsedMs,
        throughput: (acc.latencies.length / acc.elapsedMs) * 1000,
        roundThroughput: acc.roundThroughput,
        p50: percentile(acc.latencies, 50),
        p90: percentile(acc.latencies, 90),
        p99: percentile(acc.latencies, 99),
        mean: sum / acc.latencies.length,
        responseBytes: acc.responseBytes,
        serializeMs: percentile(acc.serializeMs, 50),
        errors: acc.errors,
        ...(acc.firstError ? { firstError: acc.firstError } : {}),
      });
    }
  }
  return { importMs, warmupMs, gcMs, heapUsedBytes: { imported, end: liveHeap() }, cells };
}

function emptyAcc(): Acc {
  return { latencies: [], elapsedMs: 0, roundThroughput: [], responseBytes: 0, serializeMs: [], errors: 0 };
}

await reply(main);
