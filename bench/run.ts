/**
 * `npm run bench`: ours against the MCP SDK's stateless recipes (1.x, and v2's `createMcpHandler`), in both protocol
 * eras where they serve them, side by side in one run, plus cold starts, cache misses and the local cluster under load. Writes bench/results.md and bench/results.json and prints the tables.
 * `BENCH_QUICK=1` is a ~1-minute smoke run (marked as quick in the results); `BENCH_PROFILE=1` builds unminified
 * bundles and runs the in-process, cache-miss and cold-start children with `--cpu-prof` into bench/profiles/.
 * Loopback only; every section is bounded in time.
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { bundleFunctions, codeToolCatalog, itemCatalog } from '../infra/build/bundle.js';
import { type LocalCluster, startLocalCluster } from '../infra/local/cluster.js';
import { ensureAuditTable, ensureRegistryTable, startDynamoDb } from '../infra/local/dynamodb.js';
import { startSecretsManagerServer } from '../infra/local/secrets-manager-server.js';
import { putHttpTool } from '../shared/admin/http-tools.js';
import { updatePolicy } from '../shared/admin/tools.js';
import { createApiKey, hashApiKey } from '../shared/auth/api-keys.js';
import { syncCodeManifests } from '../shared/registry/sync.js';
import { apiKeyPartition } from '../shared/store/api-keys.js';
import type { ToolDefinition } from '../shared/tools/define-tool.js';
import { loadCodeTools } from '../shared/tools/load-tools.js';
import { syntheticToolModules } from './entries/synthetic-tool-index.js';
import { bundleHandler, bundleRunner, bundleSizes, ROOT } from './lib/build.js';
import { runChild } from './lib/child.js';
import { type CpuShare, cpuWindow, machineCpuMs, processCpuMs } from './lib/cpu.js';
import { type Era, MODERN_PROTOCOL_VERSION, PROTOCOL_VERSION, rpcBody } from './lib/events.js';
import { machineInfo } from './lib/machine.js';
import { type BenchResults, computeTargets, type LoadCpu, type LoadRow, renderMarkdown } from './lib/report.js';
import { roundOrder } from './lib/rotation.js';
import { startSelfProfile } from './lib/self-profile.js';
import { median } from './lib/stats.js';
import { CALL_TARGET, SECRET_NAME, SECRET_TOOL, syntheticTools } from './lib/synthetic-tools.js';
import type { CacheMissCase, CacheMissConfig } from './runners/cache-miss.js';
import type { InProcessConfig, InProcessInstance, InProcessResult } from './runners/in-process.js';
import type { LoadConfig, LoadResult } from './runners/load.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const QUICK = process.env.BENCH_QUICK === '1';
const PROFILE = process.env.BENCH_PROFILE === '1';
const TOOL_COUNTS = [10, 100, 1000] as const;
const LONG_TTL = '600000';
/** How long section 4's upstream API takes to answer, as a fast API in the same region would. */
const UPSTREAM_DELAY_MS = 20;

/**
 * Durations and sample counts; the quick plan keeps the whole run around a minute. Section 1 measures five instances
 * per tool count: 5 rounds, so each takes every place of a round once. Section 2 runs `coldStartCycles` turns of
 * rotation: every handler takes every place equally often.
 */
const plan = QUICK
  ? {
      inProcess: { rounds: 2, roundMs: 200, warmupMs: 150, minPerRound: 3 },
      coldStartCycles: 1,
      cacheMiss: { samples: 50, tools: [100], pauseMs: 3 },
      load: { connections: 32, rounds: 1, roundSec: 3, warmupSec: 1 },
    }
  : {
      inProcess: { rounds: 5, roundMs: 400, warmupMs: 400, minPerRound: 5 },
      coldStartCycles: 4,
      cacheMiss: { samples: 100, tools: [100, 1000], pauseMs: 3 },
      load: { connections: 32, rounds: 2, roundSec: 5, warmupSec: 2 },
    };

const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

/** The environment of every child: this one without AWS settings (never a developer's real profile) or NODE_OPTIONS. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_') && name !== 'NODE_OPTIONS') env[name] = value;
  }
  return { ...env, ...extra };
}

const PROFILES = join(ROOT, 'bench/profiles');
const profileArgs = (dir: string) => (PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILES, dir)}`] : []);

async function main(): Promise<void> {
  const started = Date.now();
  const machine = machineInfo();
  const work = mkdtempSync(join(tmpdir(), 'mcp-cluster-bench-'));
  const stops: (() => Promise<void>)[] = [];
  try {
    // ---- builds -------------------------------------------------------------------------------------------------
    log(`building bundles in ${work}${PROFILE ? ' (unminified, for --cpu-prof)' : ''}`);
    const minify = !PROFILE;
    const ours = await bundleHandler('bench/entries/ours.ts', join(work, 'ours/index.mjs'), {
      minify,
      syntheticTools: true,
    });
    const baseline = await bundleHandler('bench/baseline/handler.ts', join(work, 'baseline/index.mjs'), {
      minify,
    });
    const baselineV2 = await bundleHandler('bench/baseline/handler-v2.ts', join(work, 'baseline-v2/index.mjs'), {
      minify,
    });
    const real = await bundleFunctions({ outdir: join(work, 'functions'), minify });
    const realBundle = join(real.dirs.mcp, 'index.mjs');
    // Guard against drift: the bench's build of the real handler must be byte-identical in size to the product's.
    const mirror = await bundleHandler('functions/mcp/handler.ts', join(work, 'mirror/index.mjs'), {
      minify,
      codeTools: await codeToolCatalog(),
      codeItems: { resource: await itemCatalog('resource'), prompt: await itemCatalog('prompt') },
    });
    const buildInSync = mirror.bytes === real.bytes.mcp;
    if (!buildInSync) {
      log(
        `WARNING: bench/lib/build.ts no longer matches infra/build/bundle.ts (${mirror.bytes} vs ${real.bytes.mcp} ` +
          'bytes for the MCP handler): update it, or ours and the baseline are not bundled like the product',
      );
    }
    const runners = {
      inProcess: await bundleRunner('in-process', join(work, 'runners')),
      cacheMiss: await bundleRunner('cache-miss', join(work, 'runners')),
      coldStart: await bundleRunner('cold-start', join(work, 'runners')),
    };

    // ---- local AWS: dynalite + the Secrets Manager endpoint, tables, manifests, keys, the secret -------------------
    const dynamo = await startDynamoDb();
    stops.push(dynamo.close);
    const secretsServer = await startSecretsManagerServer({});
    stops.push(secretsServer.close);
    const aws = { region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
    const dynamodb = new DynamoDBClient({ ...aws, endpoint: dynamo.endpoint });
    const secretsManager = new SecretsManagerClient({ ...aws, endpoint: secretsServer.url });
    stops.push(async () => {
      dynamodb.destroy();
      secretsManager.destroy();
    });
    const secretsPrefix = 'mcp-cluster/bench/';
    const auditTable = 'bench-audit';
    const awsEnv = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsServer.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SECRETS_PREFIX: secretsPrefix,
      AUDIT_TABLE_NAME: auditTable,
    };
    await ensureAuditTable(dynamodb, auditTable);
    await secretsManager.send(
      new CreateSecretCommand({
        Name: `${secretsPrefix}${SECRET_NAME}`,
        SecretString: 'bench-secret-value-0123456789',
      }),
    );

    const registries = new Map<string | number, { table: string; apiKey: string }>();
    const prepareRegistry = async (label: string | number, tools: readonly ToolDefinition[]) => {
      const table = `bench-registry-${label}`;
      await ensureRegistryTable(dynamodb, table);
      await syncCodeManifests({ client: dynamodb, tableName: table }, tools);
      const key = await createApiKey(
        { client: dynamodb, tableName: table },
        { agentId: 'bench-agent', scopes: ['*'], description: 'benchmark key' },
      );
      registries.set(label, { table, apiKey: key.key });
    };
    for (const count of TOOL_COUNTS) {
      log(`registry with ${count} synthetic tools: table, manifests, API key`);
      await prepareRegistry(
        count,
        syntheticToolModules(count).map((m) => m.tool),
      );
    }
    const { toolModules } = await import('../functions/tools/index.generated.js');
    const realTools = loadCodeTools(toolModules);
    await prepareRegistry('real', realTools);
    const registry = (label: string | number) => registries.get(label)!;
    const callOf = (count: number, name = CALL_TARGET) => {
      const tool = syntheticTools(count).find((t) => t.name === name)!;
      return { name, arguments: tool.sampleArguments };
    };
    const oursEnv = (count: number, ttl: string): Record<string, string> => ({
      ...awsEnv,
      BENCH_TOOLS: String(count),
      REGISTRY_TABLE_NAME: registry(count).table,
      REGISTRY_TTL_MS: ttl,
      AUTH_CACHE_TTL_MS: ttl,
      SECRETS_TTL_MS: ttl,
    });

    // ---- 1. in-process handler ----------------------------------------------------------------------------------
    log(`1/4 in-process handler: ${plan.inProcess.rounds} rounds × ${plan.inProcess.roundMs} ms per cell`);
    // Per tool count: ours in both eras, the 1.x recipe (legacy only: it will never serve 2026-07-28) and the v2
    // recipe in both eras. The two eras of ours (of the v2 recipe) are asked of one module instance, as one Lambda
    // instance serves both: the same code, caches and JIT state, only the requests differ.
    const instances: InProcessInstance[] = TOOL_COUNTS.flatMap((count) => {
      const ours_ = (era: Era): InProcessInstance => ({
        id: `ours-${era}-${count}`,
        impl: 'ours',
        era,
        tools: count,
        bundle: ours.file,
        module: `ours-${count}`,
        env: oursEnv(count, LONG_TTL),
        apiKey: registry(count).apiKey,
        call: callOf(count),
      });
      const sdk = (impl: 'sdk-v1' | 'sdk-v2', era: Era): InProcessInstance => ({
        id: `${impl}-${era}-${count}`,
        impl,
        era,
        tools: count,
        bundle: impl === 'sdk-v1' ? baseline.file : baselineV2.file,
        module: `${impl}-${count}`,
        env: { BENCH_TOOLS: String(count) },
        call: callOf(count),
      });
      return [
        ours_('legacy'),
        ours_('modern'),
        sdk('sdk-v1', 'legacy'),
        sdk('sdk-v2', 'modern'),
        sdk('sdk-v2', 'legacy'),
      ];
    });
    const inProcessConfig: InProcessConfig = {
      instances,
      scenarios: ['initialize', 'tools/list', 'tools/list:all', 'tools/call'],
      ...plan.inProcess,
    };
    const cpu: Record<string, CpuShare> = {};
    let endCpu = cpuWindow();
    const inProcessRun = await runChild<InProcessResult>(runners.inProcess, {
      env: cleanEnv({ BENCH_CONFIG: JSON.stringify(inProcessConfig) }),
      execArgv: ['--expose-gc', ...profileArgs('in-process')],
      // The measured rounds plus warm-ups and imports, with room for a slow machine.
      timeoutMs:
        3 *
          instances.length *
          inProcessConfig.scenarios.length *
          (plan.inProcess.rounds * plan.inProcess.roundMs + plan.inProcess.warmupMs) +
        120_000,
    });
    const inProcess = inProcessRun.result;
    log(
      `1/4 done: warm-up ${Math.round(inProcess.warmupMs / 1000)} s, heap collections between cells ` +
        `${Math.round(inProcess.gcMs / 1000)} s (live heap ` +
        `${Math.round(inProcess.heapUsedBytes.imported / 1_048_576)} MB after the imports, ` +
        `${Math.round(inProcess.heapUsedBytes.end / 1_048_576)} MB at the end)`,
    );
    cpu.inProcess = endCpu(inProcessRun.cpuMs);

    // ---- 2. cold start ------------------------------------------------------------------------------------------
    // The first request is a tools/list for each handler, and a tools/call for ours and the baselines: ours answers
    // tools/list from the registry snapshot, and a tools/call also loads the tool's module. Legacy
    // requests for ours against the 1.x recipe, 2026-07-28 requests for ours against the v2 recipe.
    const firstCalls = {
      ours: { name: 'calculate', arguments: { expression: '(1250 * 0.2) + 3^2' } },
      baseline: callOf(10),
    };
    const oursReal = {
      name: 'ours',
      bundle: realBundle,
      env: { ...awsEnv, REGISTRY_TABLE_NAME: registry('real').table },
      apiKey: registry('real').apiKey,
      tools: realTools.length,
    };
    const sdkV1 = { name: 'SDK 1.x', bundle: baseline.file, env: { BENCH_TOOLS: '10' }, apiKey: '', tools: 10 };
    const sdkV2 = {
      name: 'SDK v2',
      bundle: baselineV2.file,
      env: { BENCH_TOOLS: '10', BENCH_ERA: 'modern' },
      apiKey: '',
      tools: 10,
    };
    const modern = { BENCH_ERA: 'modern' };
    const coldTargets: {
      id: string;
      label: string;
      /** Who it is, short (`ours`, `SDK 1.x`, `SDK v2`). */
      name: string;
      bundle: string;
      env: Record<string, string>;
      apiKey: string;
      tools: number;
      /** The row whose per-round samples this one's ratio is taken against. */
      versus: string;
    }[] = [
      {
        id: 'ours',
        label: 'ours: functions/mcp/handler.ts (4 example tools), legacy, first tools/list',
        ...oursReal,
        versus: 'baseline',
      },
      {
        id: 'baseline',
        label: 'SDK 1.x stateless recipe (10 tools), legacy, first tools/list',
        ...sdkV1,
        versus: 'baseline',
      },
      {
        id: 'ours-call',
        label: 'ours, legacy, first tools/call (`calculate`)',
        ...oursReal,
        env: { ...oursReal.env, BENCH_FIRST_CALL: JSON.stringify(firstCalls.ours) },
        versus: 'baseline-call',
      },
      {
        id: 'baseline-call',
        label: 'SDK 1.x recipe, legacy, first tools/call',
        ...sdkV1,
        env: { ...sdkV1.env, BENCH_FIRST_CALL: JSON.stringify(firstCalls.baseline) },
        versus: 'baseline-call',
      },
      {
        id: 'ours-modern',
        label: 'ours (4 example tools), 2026-07-28, first tools/list',
        ...oursReal,
        env: { ...oursReal.env, ...modern },
        versus: 'baseline-v2',
      },
      {
        id: 'baseline-v2',
        label: 'SDK v2 `createMcpHandler` recipe (10 tools), 2026-07-28, first tools/list',
        ...sdkV2,
        versus: 'baseline-v2',
      },
      {
        id: 'ours-modern-call',
        label: 'ours, 2026-07-28, first tools/call (`calculate`)',
        ...oursReal,
        env: { ...oursReal.env, ...modern, BENCH_FIRST_CALL: JSON.stringify(firstCalls.ours) },
        versus: 'baseline-v2-call',
      },
      {
        id: 'baseline-v2-call',
        label: 'SDK v2 recipe, 2026-07-28, first tools/call',
        ...sdkV2,
        env: { ...sdkV2.env, BENCH_FIRST_CALL: JSON.stringify(firstCalls.baseline) },
        versus: 'baseline-v2-call',
      },
      {
        id: 'ours-synthetic',
        label: 'ours: bench entry (10 synthetic tools), legacy, first tools/list',
        name: 'ours',
        bundle: ours.file,
        env: { ...oursEnv(10, '10000') },
        apiKey: registry(10).apiKey,
        tools: 10,
        versus: 'baseline',
      },
    ];
    // A round starts one process of each handler; whole turns of rotation put every handler in every place alike.
    const coldRounds = plan.coldStartCycles * coldTargets.length;
    log(`2/4 cold start: ${coldRounds} fresh processes per handler, ${coldTargets.length} handlers, alternating`);
    const coldSamples = new Map<string, ColdSample[]>();
    let coldCpuMs = 0;
    endCpu = cpuWindow();
    for (let i = 0; i < coldRounds; i++) {
      // Every handler takes every place in a round equally often (whole turns of rotation, every other one reversed).
      for (const target of roundOrder(coldTargets, i)) {
        const sample = await runColdStart(runners.coldStart, target.id, target.bundle, {
          ...target.env,
          BENCH_API_KEY: target.apiKey,
          BENCH_EXPECTED_TOOLS: String(target.tools),
        });
        coldSamples.set(target.id, [...(coldSamples.get(target.id) ?? []), sample]);
        coldCpuMs += sample.cpuMs;
      }
    }
    cpu.coldStart = endCpu(coldCpuMs);
    const totalOf = (sample: ColdSample) => sample.importMs + sample.firstRequestMs;
    const coldStartRows = coldTargets.map((target) => {
      const samples = coldSamples.get(target.id) ?? [];
      const versus = coldSamples.get(target.versus) ?? [];
      const sizes = bundleSizes(target.bundle);
      // Round i ran every handler back to back: its ratio is measured on the machine in one state.
      const ratios = samples.map((sample, i) => totalOf(sample) / totalOf(versus[i] ?? sample));
      return {
        id: target.id,
        label: target.label,
        name: target.name,
        versus: target.versus,
        bytes: sizes.importBytes,
        gzipBytes: sizes.importGzipBytes,
        allBytes: sizes.allBytes,
        processes: samples.length,
        importMs: median(samples.map((s) => s.importMs)),
        firstRequestMs: median(samples.map((s) => s.firstRequestMs)),
        totalMs: median(samples.map(totalOf)),
        cpuMs: median(samples.map((s) => s.importCpuMs + s.firstRequestCpuMs)),
        bootMs: median(samples.map((s) => s.bootMs)),
        pairedRatio: median(ratios),
        rssBytes: median(samples.map((s) => s.rssBytes)),
      };
    });

    // ---- 3. cache misses ----------------------------------------------------------------------------------------
    log(`3/4 cache misses: ${plan.cacheMiss.samples} samples each, tools ${plan.cacheMiss.tools.join(', ')}`);
    const cacheConfig: CacheMissConfig = {
      bundle: ours.file,
      samples: plan.cacheMiss.samples,
      pauseMs: plan.cacheMiss.pauseMs,
      cases: plan.cacheMiss.tools.map((count) => ({
        tools: count,
        apiKey: registry(count).apiKey,
        apiKeyPartition: apiKeyPartition(hashApiKey(registry(count).apiKey)),
        call: callOf(count, SECRET_TOOL),
        warmEnv: oursEnv(count, LONG_TTL),
        expiredEnv: oursEnv(count, '1'),
        registryTable: registry(count).table,
        secretId: `${secretsPrefix}${SECRET_NAME}`,
      })),
    };
    endCpu = cpuWindow();
    const cacheMissRun = await runChild<CacheMissCase[]>(runners.cacheMiss, {
      env: cleanEnv({ ...awsEnv, BENCH_CONFIG: JSON.stringify(cacheConfig) }),
      execArgv: profileArgs('cache-miss'),
      timeoutMs: 180_000,
    });
    const cacheMiss = cacheMissRun.result;
    cpu.cacheMiss = endCpu(cacheMissRun.cpuMs);

    // ---- 4. local cluster under load ----------------------------------------------------------------------------
    log(`4/4 local cluster under load: 1-worker and 2-worker clusters, ${LOAD_SCENARIOS.length} scenarios`);
    const loadRows = await loadSection(stops);

    // ---- results ------------------------------------------------------------------------------------------------
    const results: BenchResults = {
      quick: QUICK,
      profile: PROFILE,
      machine,
      durationSec: 0,
      plan,
      settings: {
        auditWrite: process.env.AUDIT_WRITE ?? 'default (see shared/config/config.ts)',
        buildOptionsMatchProduct: buildInSync ? 'yes' : 'NO: bench/lib/build.ts differs from infra/build/bundle.ts',
        legacyProtocolVersion: PROTOCOL_VERSION,
        modernProtocolVersion: MODERN_PROTOCOL_VERSION,
        loadEra: `legacy (${PROTOCOL_VERSION})`,
        callTarget: CALL_TARGET,
        secretTool: SECRET_TOOL,
      },
      cpu,
      inProcess,
      coldStart: coldStartRows,
      cacheMiss,
      load: loadRows,
      targets: [],
    };
    results.targets = computeTargets(results);
    results.durationSec = Math.round((Date.now() - started) / 1000);
    const markdown = renderMarkdown(results);
    // A profiling run's numbers carry the profiler's overhead: they go beside the profiles, not into the results.
    const outDir = PROFILE ? PROFILES : join(ROOT, 'bench');
    writeFileSync(join(outDir, 'results.md'), markdown);
    writeJson(join(outDir, 'results.json'), results);
    process.stdout.write(`${markdown}\n`);
    log(`done in ${results.durationSec} s: ${relative(ROOT, outDir)}/results.md and results.json`);
    const errors = [
      ...inProcess.cells.filter((c) => c.errors > 0).map((c) => c.firstError),
      ...loadRows.filter((r) => r.errors > 0).map((r) => r.firstError),
    ];
    if (errors.length) {
      log(`errors during the run:\n  ${errors.join('\n  ')}`);
      process.exitCode = 1;
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    // Profiles point into the bundles (for module attribution): keep them when profiling.
    if (PROFILE) log(`profiles in ${PROFILES}; the bundles they refer to stay in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

/** JSON with numbers at 6 significant digits, formatted by the repo's Biome so `npm run lint` stays clean. */
function writeJson(file: string, value: unknown): void {
  const replacer = (_key: string, v: unknown) =>
    typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v;
  writeFileSync(file, `${JSON.stringify(value, replacer, 2)}\n`);
  const biome = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/@biomejs/biome/bin/biome'), 'format', '--write', file],
    {
      cwd: ROOT,
      stdio: 'ignore',
    },
  );
  if (biome.status !== 0) log(`note: biome could not format ${relative(ROOT, file)}`);
}

/** What `runners/cold-start.ts` reports of one fresh process (times in ms since its start or between its marks). */
interface ColdSample {
  bootMs: number;
  importMs: number;
  firstRequestMs: number;
  importCpuMs: number;
  firstRequestCpuMs: number;
  rssBytes: number;
  cpuMs: number;
}

/** One cold start: `node cold-start.mjs` in a fresh process with only the function's environment. */
function runColdStart(runner: string, id: string, bundle: string, env: Record<string, string>): Promise<ColdSample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...profileArgs(`cold-start-${id}`), runner], {
      env: cleanEnv({ ...env, BENCH_BUNDLE: bundle }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (!line) return reject(new Error(`cold start of ${bundle} failed (exit ${code}):\n${err}${out.slice(-2000)}`));
      const result = JSON.parse(line.slice('BENCH_RESULT '.length)) as ColdSample & { problem?: string };
      if (result.problem) return reject(new Error(`cold start of ${bundle}: ${result.problem}`));
      resolve(result);
    });
  });
}

/** What section 4 loads the clusters with: one `tools/call`, the same on both clusters. */
interface LoadScenario {
  id: string;
  label: string;
  call: { name: string; arguments: Record<string, unknown> };
  /** The call's `_meta` (`[<id>]`: a fresh id per request). */
  meta?: Record<string, unknown>;
  expected: unknown;
}

const ITEM_TOOL = 'get_inventory_item';
/** The same HTTP tool, protected against duplicate calls (idempotency on in its manifest). */
const PROTECTED_ITEM_TOOL = 'get_inventory_item_once';
const expression = '(1250 * 0.2) + 3^2';
const LOAD_SCENARIOS: LoadScenario[] = [
  {
    id: 'upstream',
    label: `\`${ITEM_TOOL}\`: an HTTP tool whose API answers in ${UPSTREAM_DELAY_MS} ms`,
    call: { name: ITEM_TOOL, arguments: { id: 'sku-42' } },
    expected: { id: 'sku-42', name: 'Item sku-42', inStock: true },
  },
  {
    id: 'upstream-protected',
    label: `\`${PROTECTED_ITEM_TOOL}\`: the same HTTP tool, protected against duplicates, a new idempotency key per call`,
    call: { name: PROTECTED_ITEM_TOOL, arguments: { id: 'sku-42' } },
    meta: { 'io.mcp-cluster/idempotencyKey': '[<id>]' },
    expected: { id: 'sku-42', name: 'Item sku-42', inStock: true },
  },
  {
    id: 'calculate',
    label: '`calculate`: a code tool that does no I/O',
    call: { name: 'calculate', arguments: { expression } },
    expected: { expression, result: 259 },
  },
];

/**
 * Section 4: a 1-worker and a 2-worker local cluster, both up, loaded in alternating rounds, once per scenario. The
 * HTTP tool's upstream API runs in a process of its own (`runners/upstream.ts`).
 */
async function loadSection(stops: (() => Promise<void>)[]): Promise<LoadRow[]> {
  const upstream = fork(join(ROOT, 'bench/runners/upstream.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: cleanEnv({ BENCH_UPSTREAM_DELAY_MS: String(UPSTREAM_DELAY_MS) }),
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  stops.push(async () => {
    upstream.kill();
  });
  const upstreamPort = await new Promise<number>((resolve, reject) => {
    upstream.once('message', (message: { port: number }) => resolve(message.port));
    upstream.once('exit', (code) => reject(new Error(`the upstream API exited (code ${code})`)));
  });

  const clusters = [];
  for (const workers of [1, 2]) {
    const stateDir = mkdtempSync(join(tmpdir(), `mcp-cluster-bench-load-${workers}-`));
    const workerProfiles = join(PROFILES, `cluster-workers-${workers}w`);
    if (PROFILE) mkdirSync(workerProfiles, { recursive: true });
    const cluster = await startLocalCluster({
      port: 0,
      host: '127.0.0.1',
      workers,
      stateDir,
      // Workers write a profile when the cluster stops them (node 20 refuses --cpu-prof in NODE_OPTIONS).
      env: PROFILE
        ? {
            NODE_OPTIONS: `--import=${pathToFileURL(join(ROOT, 'bench/lib/profile-preload.mjs')).href}`,
            BENCH_PROFILE_DIR: workerProfiles,
          }
        : {},
    });
    stops.push(async () => {
      await cluster.stop();
      if (!PROFILE) rmSync(stateDir, { recursive: true, force: true });
    });
    const table = { client: cluster.dynamodb, tableName: cluster.tableName };
    const itemLookup = {
      inputSchema: {
        type: 'object',
        properties: { id: { type: 'string', pattern: '^[A-Za-z0-9-]+$' } },
        required: ['id'],
        additionalProperties: false,
      },
      request: { method: 'GET' as const, url: `http://127.0.0.1:${upstreamPort}/items/{id}` },
    };
    await putHttpTool(table, {
      name: ITEM_TOOL,
      description: 'Looks up an inventory item by its id.',
      http: itemLookup,
    });
    // The protected twin: every call claims its key in DynamoDB before the API is called and stores its result after.
    await putHttpTool(table, {
      name: PROTECTED_ITEM_TOOL,
      description: 'Looks up an inventory item by its id, once per idempotency key.',
      http: itemLookup,
    });
    await updatePolicy(table, PROTECTED_ITEM_TOOL, { idempotency: { enabled: true } });
    clusters.push({ workers, cluster });
  }
  // The HTTP tool reaches every worker within one registry TTL; the warm-up calls below wait for it.
  const loadConfig = (url: string, apiKey: string, scenario: LoadScenario, durationSec: number): LoadConfig => ({
    url,
    apiKey,
    connections: plan.load.connections,
    durationSec,
    call: scenario.call,
    ...(scenario.meta ? { meta: scenario.meta } : {}),
    expected: scenario.expected,
  });
  const runLoad = async (config: LoadConfig, onStart?: () => void) =>
    (
      await runChild<LoadResult>(join(ROOT, 'bench/runners/load.ts'), {
        env: cleanEnv({ BENCH_CONFIG: JSON.stringify(config) }),
        execArgv: ['--import', 'tsx'],
        timeoutMs: (config.durationSec + 60) * 1000,
        onProgress: (progress) => {
          if (progress === 'start') onStart?.();
        },
      })
    ).result;
  for (const tool of [ITEM_TOOL, PROTECTED_ITEM_TOOL]) {
    await waitForTool(
      clusters.map((c) => c.cluster),
      tool,
    );
  }

  interface Round extends LoadResult {
    wallMs: number;
    frontCpuMs: number;
    workerCpuMs: number;
    dynamodbCpuMs: number;
    upstreamCpuMs: number;
    machineCpuMs: number;
  }
  const rows: LoadRow[] = [];
  for (const scenario of LOAD_SCENARIOS) {
    for (const { cluster } of clusters) {
      await runLoad(loadConfig(cluster.url, cluster.apiKey, scenario, plan.load.warmupSec));
    }
    const rounds = new Map<number, Round[]>();
    for (let round = 0; round < plan.load.rounds; round++) {
      const order = round % 2 === 0 ? clusters : [...clusters].reverse();
      for (const { workers, cluster } of order) {
        const stopProfile = PROFILE ? await startSelfProfile() : undefined;
        // CPU counters are read when the load generator starts its timed run and right after it ends.
        const counters = () => ({
          wall: performance.now(),
          front: process.cpuUsage(),
          workers: cluster.workerPids.map(processCpuMs),
          dynamodb: processCpuMs(cluster.dynamodbPid),
          upstream: processCpuMs(upstream.pid ?? 0),
          machine: machineCpuMs().busy,
        });
        let before = counters();
        const result = await runLoad(loadConfig(cluster.url, cluster.apiKey, scenario, plan.load.roundSec), () => {
          before = counters();
        });
        const after = counters();
        const frontUsed = process.cpuUsage(before.front);
        if (stopProfile) {
          const dir = join(PROFILES, `cluster-front-${scenario.id}-${workers}w`);
          mkdirSync(dir, { recursive: true });
          await stopProfile(join(dir, `front-round-${round}.cpuprofile`));
        }
        rounds.set(workers, [
          ...(rounds.get(workers) ?? []),
          {
            ...result,
            wallMs: after.wall - before.wall,
            frontCpuMs: (frontUsed.user + frontUsed.system) / 1000,
            workerCpuMs: after.workers.reduce((sum, value, i) => sum + value - (before.workers[i] ?? 0), 0),
            dynamodbCpuMs: after.dynamodb - before.dynamodb,
            upstreamCpuMs: after.upstream - before.upstream,
            machineCpuMs: after.machine - before.machine,
          },
        ]);
      }
    }
    for (const { workers } of clusters) {
      const results = rounds.get(workers) ?? [];
      const sum = (pick: (r: Round) => number) => results.reduce((total, r) => total + pick(r), 0);
      const requests = sum((r) => r.requests);
      const seconds = sum((r) => r.durationSec);
      const wallMs = Math.max(
        1,
        sum((r) => r.wallMs),
      );
      const weighted = (pick: (r: Round) => number) => sum((r) => pick(r) * r.requests) / Math.max(1, requests);
      const percentOfCore = (pick: (r: Round) => number) => (sum(pick) / wallMs) * 100;
      const perRequest = (pick: (r: Round) => number) => sum(pick) / Math.max(1, requests);
      const firstError = results.find((r) => r.firstError)?.firstError;
      const cpuOf: Record<keyof LoadCpu, (r: Round) => number> = {
        front: (r) => r.frontCpuMs,
        workers: (r) => r.workerCpuMs,
        dynamodb: (r) => r.dynamodbCpuMs,
        upstream: (r) => r.upstreamCpuMs,
        loadGenerator: (r) => r.cpuMs,
        machine: (r) => r.machineCpuMs,
      };
      const byPart = (measure: (pick: (r: Round) => number) => number) =>
        Object.fromEntries(Object.entries(cpuOf).map(([part, pick]) => [part, measure(pick)])) as LoadCpu;
      const cpuPercent = byPart(percentOfCore);
      const named = cpuPercent.front + cpuPercent.workers + cpuPercent.dynamodb + cpuPercent.upstream;
      rows.push({
        scenario: scenario.id,
        scenarioLabel: scenario.label,
        workers,
        connections: plan.load.connections,
        seconds,
        requests,
        throughput: requests / Math.max(1, seconds),
        roundThroughput: results.map((r) => r.throughput),
        p50: weighted((r) => r.p50),
        p99: weighted((r) => r.p99),
        errors: sum((r) => r.errors),
        ...(firstError ? { firstError } : {}),
        cpuPercent: { ...cpuPercent, other: Math.max(0, cpuPercent.machine - named - cpuPercent.loadGenerator) },
        cpuMsPerRequest: byPart(perRequest),
      });
    }
  }
  return rows;
}

/** Calls `tool` on every worker of every cluster until each has served it once (HTTP tools arrive within a TTL). */
async function waitForTool(clusters: readonly LocalCluster[], tool: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const cluster of clusters) {
    const served = new Set<string>();
    while (served.size < cluster.workerPids.length) {
      if (Date.now() > deadline) throw new Error(`${tool} was not served by every worker within 60 s`);
      const response = await fetch(cluster.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${cluster.apiKey}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: rpcBody('tools/call', 1, { name: tool, arguments: { id: 'warm-up' } }),
      });
      const body = (await response.json()) as { result?: { isError?: boolean } };
      if (response.ok && body.result && !body.result.isError) {
        served.add(response.headers.get('x-mcp-cluster-worker') ?? '?');
      } else {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
}

if (PROFILE) {
  rmSync(PROFILES, { recursive: true, force: true });
  mkdirSync(PROFILES, { recursive: true });
}
await main();
// The local cluster's clients and servers are closed; nothing should keep the process, but do not wait on strays.
process.exit(process.exitCode ?? 0);
