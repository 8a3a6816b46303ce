import type { CacheMissCase } from '../runners/cache-miss.js';
import type { CellResult, Impl, InProcessResult, Scenario } from '../runners/in-process.js';
import type { CpuShare } from './cpu.js';
import type { Era } from './events.js';
import type { MachineInfo } from './machine.js';
import { round } from './stats.js';

export interface ColdStartRow {
  id: string;
  label: string;
  /** Who it is, short: `ours`, `SDK 1.x`, `SDK v2`. */
  name: string;
  /** The row this one's `pairedRatio` is taken against (the baseline with the same first request). */
  versus: string;
  bytes: number;
  gzipBytes: number;
  /** Every file of the bundle folder, on-demand chunks included. */
  allBytes: number;
  processes: number;
  /** Medians over the processes. */
  importMs: number;
  firstRequestMs: number;
  /** Median of (import + first request) per process. */
  totalMs: number;
  /** Median CPU time (user + system, all threads) of import + first request. */
  cpuMs: number;
  /**
   * Median over the rounds of this handler's (import + first request) over the baseline's in the same round: the
   * rounds run every handler back to back, so each ratio is taken on the machine in one state.
   */
  pairedRatio: number;
  /** Median resident memory after the first request. */
  rssBytes: number;
  /** Median time from process start to the runner's first line (node's own boot; the same for every handler). */
  bootMs: number;
}

export interface LoadRow {
  /** Which `tools/call` loaded the cluster (run.ts's LOAD_SCENARIOS). */
  scenario: string;
  scenarioLabel: string;
  workers: number;
  connections: number;
  seconds: number;
  requests: number;
  throughput: number;
  roundThroughput: number[];
  /** Request-weighted means of each round's autocannon percentiles (ms). */
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
  /**
   * CPU use during the measured rounds, in % of one core (`machine` is all cores: 100 × cores when saturated), and
   * `other`: the machine's CPU outside the processes named.
   */
  cpuPercent: LoadCpu & { other: number };
  /** CPU milliseconds per request, by the same processes. */
  cpuMsPerRequest: LoadCpu;
}

/**
 * CPU of section 4's processes: the front process (the local API Gateway, the Secrets Manager endpoint, the audit
 * ingester), the workers, the DynamoDB process, the upstream API, the load generator, and all processes together.
 */
export type LoadCpu = Record<'front' | 'workers' | 'dynamodb' | 'upstream' | 'loadGenerator' | 'machine', number>;

export interface Target {
  name: string;
  measured: number;
  threshold: string;
  pass: boolean;
  detail: string;
}

export interface BenchResults {
  quick: boolean;
  profile: boolean;
  machine: MachineInfo;
  durationSec: number;
  plan: unknown;
  settings: Record<string, string>;
  /** CPU use of the machine during sections 1–3 (section 4 has its own, per row). */
  cpu: Record<string, CpuShare>;
  inProcess: InProcessResult;
  coldStart: ColdStartRow[];
  cacheMiss: CacheMissCase[];
  load: LoadRow[];
  targets: Target[];
}

const fmt = (value: number, unit = '') =>
  Number.isFinite(value) ? `${round(value).toLocaleString('en-US')}${unit}` : 'n/a';
/** A latency in ms, shown in µs below 1 ms (ours' warm p50s are a few µs: 3 decimals of a ms would hide them). */
const latency = (ms: number) => (Number.isFinite(ms) && ms < 1 ? fmt(ms * 1000, ' µs') : fmt(ms, ' ms'));
const ratio = (value: number) => (Number.isFinite(value) ? `${round(value)}×` : 'n/a');

/** The instances of section 1, in table order: ours in both eras, the 1.x recipe (legacy), the v2 recipe in both. */
const INSTANCES: readonly { impl: Impl; era: Era; label: string }[] = [
  { impl: 'ours', era: 'legacy', label: 'ours, legacy' },
  { impl: 'ours', era: 'modern', label: 'ours, 2026-07-28' },
  { impl: 'sdk-v1', era: 'legacy', label: 'SDK 1.x, legacy' },
  { impl: 'sdk-v2', era: 'modern', label: 'SDK v2, 2026-07-28' },
  { impl: 'sdk-v2', era: 'legacy', label: 'SDK v2, legacy' },
];

/** What ours is held against in section 1: each baseline with ours in the same era. */
const PAIRS: readonly { era: Era; impl: Exclude<Impl, 'ours'>; label: string; short: string }[] = [
  { era: 'legacy', impl: 'sdk-v1', label: 'the SDK 1.x recipe (legacy)', short: 'ours / 1.x, legacy' },
  { era: 'modern', impl: 'sdk-v2', label: 'the SDK v2 recipe (2026-07-28)', short: 'ours / v2, 2026-07-28' },
  { era: 'legacy', impl: 'sdk-v2', label: 'the SDK v2 recipe (legacy)', short: 'ours / v2, legacy' },
];

const ERA_LABEL: Record<Era, string> = { legacy: 'legacy', modern: '2026-07-28' };

/** The most ours' 2026-07-28 p50 may exceed its legacy p50 (same rounds, same bundle): the noise allowance. */
const MODERN_NOISE_ALLOWANCE = 1.1;

function cell(results: BenchResults, impl: Impl, era: Era, tools: number, scenario: Scenario): CellResult {
  const found = results.inProcess.cells.find(
    (c) => c.impl === impl && c.era === era && c.tools === tools && c.scenario === scenario,
  );
  if (!found) throw new Error(`no result for ${impl} ${era} ${tools} ${scenario}`);
  return found;
}

export function computeTargets(results: BenchResults): Target[] {
  const targets: Target[] = [];
  for (const [method, threshold, note] of [
    ['tools/list', 20, ''],
    ['tools/call', 3, ', auth and audit on'],
  ] as const) {
    for (const pair of PAIRS) {
      const o = cell(results, 'ours', pair.era, 100, method);
      const b = cell(results, pair.impl, pair.era, 100, method);
      const measured = o.throughput / b.throughput;
      targets.push({
        name: `${method} throughput at 100 tools: ours (${ERA_LABEL[pair.era]}${note}) ≥ ${threshold}× ${pair.label}`,
        measured,
        threshold: `≥ ${threshold}×`,
        pass: measured >= threshold,
        detail: `${fmt(o.throughput)} vs ${fmt(b.throughput)} req/s`,
      });
    }
  }
  for (const era of ['legacy', 'modern'] as const) {
    for (const method of ['tools/call', 'tools/list'] as const) {
      const small = cell(results, 'ours', era, 10, method).p50;
      const large = cell(results, 'ours', era, 1000, method).p50;
      targets.push({
        name: `ours (${ERA_LABEL[era]}) ${method} p50 at 1,000 tools ≤ 1.5× p50 at 10 tools`,
        measured: large / small,
        threshold: '≤ 1.5×',
        pass: large / small <= 1.5,
        detail: `${latency(large)} vs ${latency(small)}`,
      });
    }
  }
  for (const [id, era, first] of [
    ['ours', 'legacy', 'tools/list'],
    ['ours-call', 'legacy', 'tools/call'],
    ['ours-modern', 'modern', 'tools/list'],
    ['ours-modern-call', 'modern', 'tools/call'],
  ] as const) {
    const row = results.coldStart.find((r) => r.id === id);
    const versus = results.coldStart.find((r) => r.id === row?.versus);
    if (!row || !versus) continue;
    targets.push({
      name: `cold start (${ERA_LABEL[era]}), first request ${first}: ours ≤ ${versus.name} recipe (median of the per-round ratios)`,
      measured: row.pairedRatio,
      threshold: '≤ 1×',
      pass: row.pairedRatio <= 1,
      detail: `medians ${fmt(row.totalMs, ' ms')} vs ${fmt(versus.totalMs, ' ms')} (${ratio(row.totalMs / versus.totalMs)})`,
    });
  }
  for (const method of ['tools/list', 'tools/call'] as const) {
    const modern = cell(results, 'ours', 'modern', 100, method).p50;
    const legacy = cell(results, 'ours', 'legacy', 100, method).p50;
    targets.push({
      name: `ours ${method} at 100 tools: 2026-07-28 no slower than legacy (p50 ratio)`,
      measured: modern / legacy,
      threshold: `≤ ${MODERN_NOISE_ALLOWANCE}×`,
      pass: modern / legacy <= MODERN_NOISE_ALLOWANCE,
      detail:
        `p50 ${latency(modern)} vs ${latency(legacy)}; ${MODERN_NOISE_ALLOWANCE}× is the noise allowance ` +
        '(both measured in the same rounds)',
    });
  }
  for (const scenario of [...new Set(results.load.map((r) => r.scenario))]) {
    const one = results.load.find((r) => r.scenario === scenario && r.workers === 1);
    const two = results.load.find((r) => r.scenario === scenario && r.workers === 2);
    if (!one || !two) continue;
    const measured = two.throughput / one.throughput;
    targets.push({
      name: `local cluster (legacy requests), ${one.scenarioLabel}: 2 workers ≥ 1.6× the requests/s of 1 worker (0 errors)`,
      measured,
      threshold: '≥ 1.6×',
      pass: measured >= 1.6 && one.errors === 0 && two.errors === 0,
      detail: `${fmt(two.throughput)} vs ${fmt(one.throughput)} req/s; errors ${one.errors} + ${two.errors}`,
    });
  }
  return targets;
}

function cpuNote(share: CpuShare | undefined, cores: number): string {
  if (!share || !Number.isFinite(share.machine)) return '';
  return (
    `Machine CPU during this section: ${fmt(share.machine)}% of one core (of ${cores * 100}%), the bench's own ` +
    `processes ${fmt(share.bench)}%, other processes ${fmt(share.other)}%.`
  );
}

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderMarkdown(results: BenchResults): string {
  const { machine } = results;
  const out: string[] = [];
  out.push(
    `# mcp-cluster benchmark results${results.quick ? ' (QUICK smoke run: short durations, not for publishing)' : ''}`,
  );
  out.push('');
  out.push(
    `Generated by \`${results.quick ? 'BENCH_QUICK=1 ' : ''}npm run bench\` on ${machine.date} in ${results.durationSec} s. ` +
      'Ours and the two baselines (the MCP SDK 1.x stateless recipe and the SDK v2 `createMcpHandler` recipe) were ' +
      'measured side by side in this one run, in alternating rounds, so ratios are comparable even where absolute ' +
      'numbers depend on the machine. See [README.md](README.md) for the method.',
  );
  out.push('');
  out.push(
    table(
      ['machine', ''],
      [
        ['CPU', `${machine.cpuModel}, ${machine.cores} cores`],
        ['memory', `${machine.memoryGiB} GiB`],
        ['Node.js', `${machine.node} (${machine.platform}); bundles target node22`],
        [
          'commit',
          `${machine.commit}${machine.dirty ? ` + uncommitted changes (${machine.dirtyOutsideBench} paths outside bench/)` : ' (clean tree)'}`,
        ],
        ['mode', `${results.quick ? 'quick' : 'full'}${results.profile ? ', profiling (unminified bundles)' : ''}`],
        ['bench build options = infra/build/bundle.ts', results.settings.buildOptionsMatchProduct ?? 'n/a'],
        ['AUDIT_WRITE', results.settings.auditWrite ?? 'n/a'],
      ],
    ),
  );

  // 1. in-process
  out.push('', '## 1. In-process handler (warm, one request at a time, as a Lambda instance serves them)', '');
  out.push(
    'Bundled handlers called directly with API Gateway REST proxy events, sequential awaits, five instances per tool ' +
      'count: ours (the real `functions/mcp/handler.ts` with N synthetic code tools, API-key authentication, the ' +
      'registry snapshot and audit on, against dynalite and the local Secrets Manager, warm caches) asked in each ' +
      `era; the SDK 1.x stateless recipe (new \`McpServer\` + \`WebStandardStreamableHTTPServerTransport\` per ` +
      'request), which serves the legacy era only; and the SDK v2 recipe (`createMcpHandler` whose factory builds a ' +
      "new `McpServer` per request, `responseMode: 'json'`, `legacy: 'stateless'`) asked in each era. Both " +
      'recipes register the N tools with `registerTool`, no auth. Legacy = MCP ' +
      `${results.settings.legacyProtocolVersion ?? 'n/a'} (\`initialize\`, then \`MCP-Protocol-Version\`); ` +
      `2026-07-28 = MCP ${results.settings.modernProtocolVersion ?? 'n/a'} (\`_meta\` envelope, \`MCP-Protocol-Version\`, ` +
      '`Mcp-Method`, `Mcp-Name`; `server/discover` in place of `initialize`). The instances of a tool count run ' +
      'back to back in every round, in an order rotated each round.',
    '',
  );
  const scenarios: Scenario[] = ['initialize', 'tools/list', 'tools/list:all', 'tools/call'];
  const label: Record<Scenario, string> = {
    initialize: '`initialize` (2026-07-28: `server/discover`)',
    'tools/list': '`tools/list` (first page)',
    'tools/list:all': 'all tools (`tools/list` + every `nextCursor` page)',
    'tools/call': '`tools/call`',
  };
  const counts = [...new Set(results.inProcess.cells.map((c) => c.tools))].sort((a, b) => a - b);
  const toolsLabel = (tools: number, cells: CellResult[]) => {
    const pages = [...new Set(cells.map((c) => c.callsPerOperation))];
    const ours = cells.find((c) => c.impl === 'ours');
    return pages.length === 1 || !ours
      ? tools.toLocaleString('en-US')
      : `${tools.toLocaleString('en-US')} (ours ${ours.callsPerOperation} pages)`;
  };
  out.push('### Throughput (operations per second) and ratios', '');
  const throughputRows: (string | number)[][] = [];
  for (const method of scenarios) {
    for (const tools of counts) {
      const cells = INSTANCES.map((i) => cell(results, i.impl, i.era, tools, method));
      const oursModern = cell(results, 'ours', 'modern', tools, method);
      const oursLegacy = cell(results, 'ours', 'legacy', tools, method);
      throughputRows.push([
        label[method],
        toolsLabel(tools, cells),
        ...cells.map((c) => fmt(c.throughput)),
        ...PAIRS.map(
          (pair) =>
            `**${ratio(cell(results, 'ours', pair.era, tools, method).throughput / cell(results, pair.impl, pair.era, tools, method).throughput)}**`,
        ),
        ratio(oursModern.p50 / oursLegacy.p50),
      ]);
    }
  }
  out.push(
    table(
      [
        'request',
        'tools',
        ...INSTANCES.map((i) => `${i.label} req/s`),
        ...PAIRS.map((pair) => pair.short),
        'ours p50 2026-07-28 / legacy',
      ],
      throughputRows,
    ),
  );
  out.push('', '### Latency, response size, serialization', '');
  const latencyRows: (string | number)[][] = [];
  for (const method of scenarios) {
    for (const tools of counts) {
      for (const instance of INSTANCES) {
        const c = cell(results, instance.impl, instance.era, tools, method);
        latencyRows.push([
          label[method],
          tools.toLocaleString('en-US'),
          instance.label,
          c.callsPerOperation,
          fmt(c.requests),
          fmt(c.p50),
          fmt(c.p99),
          fmt(c.responseBytes),
          fmt(c.serializeMs),
        ]);
      }
    }
  }
  out.push(
    table(
      [
        'request',
        'tools',
        'handler',
        'calls per operation',
        'operations',
        'p50 ms',
        'p99 ms',
        'response bytes',
        'runtime serialization ms',
      ],
      latencyRows,
    ),
  );
  out.push(
    '',
    'Latencies are the handler call alone (for "all tools", the sum of the calls of one full listing; req/s there ' +
      'counts full listings). Ours answers `tools/list` in pages (`TOOLS_PAGE_SIZE`, 100 by default) with ' +
      '`nextCursor`; the SDK recipes return every tool in one answer, so at 1,000 tools their first page is the ' +
      'whole registry: the "all tools" row compares equal work. The v2 recipe answers legacy requests as SSE ' +
      "(`text/event-stream`, one `message` event) even with `responseMode: 'json'`; its 2026-07-28 answers are " +
      'JSON. The serialization column is what the Lambda runtime then spends serializing the returned proxy ' +
      'result(s) (`JSON.stringify`, once per round, outside the timed calls); it grows with the size of the response.',
  );
  out.push('', cpuNote(results.cpu.inProcess, machine.cores));
  const totalRequests = results.inProcess.cells.reduce((sum, c) => sum + c.requests, 0);
  const errors = results.inProcess.cells.reduce((sum, c) => sum + c.errors, 0);
  out.push(
    '',
    `${totalRequests.toLocaleString('en-US')} requests, ${errors} errors. Import of each bundle into the measuring ` +
      `process (ms): ${Object.entries(results.inProcess.importMs)
        .map(([id, ms]) => `${id} ${fmt(ms)}`)
        .join(', ')}.`,
  );

  // 2. cold start
  out.push('', '## 2. Cold start (fresh `node` process per sample)', '');
  out.push(
    'Import = `await import(bundle)`; first request = the first `tools/list`, or `tools/call` (ours: API-key GetItem ' +
      'and registry Query against dynalite, over the AWS SDK clients it creates at import; a tools/call also loads ' +
      "the tool's module), in the era the row names: legacy rows are held against the SDK " +
      '1.x recipe, 2026-07-28 rows against the SDK v2 recipe with 2026-07-28 requests. Each round starts one ' +
      'process per handler, back to back, each handler in every place of a round equally often; times are medians ' +
      "over the rounds, and the ratio column is the median of each round's ratio to the baseline it names, with the " +
      'same first request in the same round (robust to the machine speeding up or slowing down between rounds). ' +
      'Node boot (process start to the runner) is the same for every handler and excluded.',
    '',
  );
  out.push(
    table(
      [
        'handler',
        'bytes read at import',
        'gzip',
        'bundle folder bytes',
        'processes',
        'import ms',
        'first request ms',
        'import + first ms',
        'CPU ms',
        'RSS MB',
        'ratio to its baseline (per round)',
      ],
      results.coldStart.map((r) => [
        r.label,
        fmt(r.bytes),
        fmt(r.gzipBytes),
        fmt(r.allBytes),
        r.processes,
        fmt(r.importMs),
        fmt(r.firstRequestMs),
        `**${fmt(r.totalMs)}**`,
        fmt(r.cpuMs),
        fmt(r.rssBytes / 1_048_576),
        r.id === r.versus
          ? '1×'
          : `**${ratio(r.pairedRatio)}** (to ${results.coldStart.find((v) => v.id === r.versus)?.name ?? r.versus})`,
      ]),
    ),
  );

  out.push('', cpuNote(results.cpu.coldStart, machine.cores));

  // 3. cache misses
  out.push('', '## 3. Cache misses (ours, tools/call of a tool with a secret)', '');
  out.push(
    'Two instances of ours: one with `REGISTRY_TTL_MS`, `AUTH_CACHE_TTL_MS` and `SECRETS_TTL_MS` at 1 ms (after a ' +
      '3 ms pause every cache has expired), one warm (600 s TTLs), sampled alternately with the same pause. An ' +
      'expired call makes three sequential reads: the API key (`GetItem`, consistent), the registry (`Query` of ' +
      'the `TOOL` partition, consistent, then the snapshot is rebuilt: manifests parsed, `tools/list` entries ' +
      'serialized) and the secret (`GetSecretValue`). The read columns time each alone against the same local ' +
      'endpoints; the remainder is CPU in the handler (mostly rebuilding the snapshot).',
    '',
  );
  out.push(
    table(
      [
        'tools',
        'samples',
        'warm p50 ms',
        'expired p50 ms',
        'difference ms',
        'GetItem p50',
        'Query p50 (items)',
        'GetSecretValue p50',
        'remainder ms',
      ],
      results.cacheMiss.map((c) => {
        const difference = c.expired.p50 - c.warm.p50;
        const reads = c.reads.getItemApiKey + c.reads.queryRegistry + c.reads.getSecretValue;
        return [
          c.tools.toLocaleString('en-US'),
          c.samples,
          fmt(c.warm.p50),
          fmt(c.expired.p50),
          `**${fmt(difference)}**`,
          fmt(c.reads.getItemApiKey),
          `${fmt(c.reads.queryRegistry)} (${c.registryItems})`,
          fmt(c.reads.getSecretValue),
          fmt(difference - reads),
        ];
      }),
    ),
  );
  out.push(
    '',
    'Locally each read is a loopback HTTP round trip to dynalite or the Secrets Manager stand-in (both in the bench ' +
      'process). In AWS, in-region, a consistent GetItem is typically a few ms, a Query of the registry a few ms ' +
      'more (more with 1,000 manifests: ~1 RCU per 4 KB), and GetSecretValue ~10–30 ms; the caches save all ' +
      'three on every call within their TTLs, and only one call per TTL per instance pays them.',
  );

  out.push('', cpuNote(results.cpu.cacheMiss, machine.cores));

  // 4. load
  out.push('', '## 4. Local cluster under load (`npm start` architecture, loopback)', '');
  out.push(
    '`startLocalCluster` with 1 and with 2 workers (each its own state folder; both up, loaded in alternating ' +
      'rounds), `tools/call` through the local front with autocannon (keep-alive connections, its own process). A ' +
      'worker runs one invocation at a time, as a Lambda execution environment does, so a cluster serves as many ' +
      'calls at once as it has workers and the rest wait in line. Requests are legacy ones (MCP ' +
      `${results.settings.legacyProtocolVersion ?? 'n/a'}: \`MCP-Protocol-Version\`, no \`_meta\`), as section 4 ` +
      'has always sent. Errors = non-2xx, JSON-RPC errors, `isError` results, wrong results, connection errors.',
    '',
  );
  const capacity = machine.cores * 100;
  for (const scenario of [...new Set(results.load.map((r) => r.scenario))]) {
    const rows = results.load.filter((r) => r.scenario === scenario);
    out.push(`### ${rows[0]?.scenarioLabel ?? scenario}`, '');
    out.push(
      table(
        [
          'workers',
          'connections',
          'seconds',
          'requests',
          'req/s',
          'req/s per round',
          'p50 ms',
          'p99 ms',
          'errors',
          'CPU % front',
          'CPU % workers',
          'CPU % DynamoDB',
          'CPU % upstream API',
          'CPU % load generator',
          'CPU % other',
          'CPU ms/request (all processes)',
        ],
        rows.map((r) => [
          r.workers,
          r.connections,
          fmt(r.seconds),
          fmt(r.requests),
          `**${fmt(r.throughput)}**`,
          r.roundThroughput.map((t) => fmt(t)).join(', '),
          fmt(r.p50),
          fmt(r.p99),
          r.errors,
          fmt(r.cpuPercent.front),
          fmt(r.cpuPercent.workers),
          fmt(r.cpuPercent.dynamodb),
          fmt(r.cpuPercent.upstream),
          fmt(r.cpuPercent.loadGenerator),
          fmt(r.cpuPercent.other),
          fmt(r.cpuMsPerRequest.machine),
        ]),
      ),
    );
    const one = rows.find((r) => r.workers === 1);
    const two = rows.find((r) => r.workers === 2);
    if (!one || !two) continue;
    if (scenario === 'upstream-protected') {
      const plain = results.load.filter((r) => r.scenario === 'upstream');
      const compare = (workers: number) => {
        const a = rows.find((r) => r.workers === workers);
        const b = plain.find((r) => r.workers === workers);
        return a && b
          ? `${workers} worker${workers === 1 ? '' : 's'}: p50 ${fmt(a.p50)} vs ${fmt(b.p50)} ms (${ratio(a.p50 / b.p50)}), ` +
              `${fmt(a.throughput)} vs ${fmt(b.throughput)} req/s (${ratio(a.throughput / b.throughput)}), CPU ` +
              `${fmt(a.cpuMsPerRequest.machine)} vs ${fmt(b.cpuMsPerRequest.machine)} ms per call`
          : '';
      };
      out.push(
        '',
        'What protection against duplicate calls costs: each call first claims its key with a conditional write ' +
          'in DynamoDB and stores its scrubbed result after, two writes the unprotected call above does not make. ' +
          `Protected against unprotected, same tool and API: ${compare(1)}; ${compare(2)}.`,
      );
    } else if (scenario === 'upstream') {
      out.push(
        '',
        `Each call waits on its API; a worker is busy for the whole call, as a Lambda instance is, so one worker serves ` +
          `about 1 / (call time) calls per second and the second worker adds as much again ` +
          `(**${ratio(two.throughput / one.throughput)}**) while the machine still has CPU to spare ` +
          `(${fmt(two.cpuPercent.machine)}% of ${capacity}%). This is how the deployed cluster scales: concurrency is ` +
          'the number of instances, and an instance added is capacity added, with nothing shared between them.',
      );
    } else {
      const total = one.cpuMsPerRequest.machine;
      const ceiling = Math.min(2, (machine.cores * 1000) / total / one.throughput);
      out.push(
        '',
        `Here the call itself costs next to nothing, so what limits both rows is this machine: every call costs ` +
          `${fmt(total)} ms of CPU across all processes (the worker's own share ${fmt(one.cpuMsPerRequest.workers)} ms, ` +
          `the rest the local API Gateway, the audit pipeline into dynalite, the load generator), and ` +
          `${machine.cores} cores give at most ${fmt((machine.cores * 1000) / total)} calls per second, ` +
          `${ratio(ceiling)} what one worker already serves. A second worker can only show its capacity where the work ` +
          'outside the workers has cores of its own: in AWS, API Gateway, the load and the audit pipeline run on other ' +
          'machines, and every Lambda instance has its own CPU. On this machine the row shows that calls spread over ' +
          'both workers with no errors, not the scaling of the deployed cluster; the row above shows that scaling.',
      );
    }
    out.push('');
  }
  out.push(
    `CPU columns are % of one core over the timed runs; this machine has ${machine.cores} cores (${capacity}%), shared ` +
      'by the load generator, the front process (the local API Gateway, the Secrets Manager endpoint and the audit ' +
      "ingester writing every call's audit line into dynalite), dynalite's own process, the upstream API and the " +
      'workers.',
  );

  // 5. targets
  out.push('', '## 5. Targets (ratios from this run)', '');
  out.push(
    table(
      ['target', 'measured', 'threshold', 'result', 'detail'],
      results.targets.map((t) => [t.name, ratio(t.measured), t.threshold, t.pass ? '**PASS**' : '**FAIL**', t.detail]),
    ),
  );
  out.push('');
  return out.join('\n');
}
