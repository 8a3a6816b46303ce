/**
 * `npm run conformance`: the official MCP conformance suite against the local cluster, served with the conformance
 * fixture (test/conformance/tools) and anonymous access (the suite's client cannot send a key), on loopback.
 *
 * Three runs, each judged by the suite itself against its expected-failures file (expected-failures/*.yaml): an
 * unexpected failure, or an expected one that now passes, fails the run. Then the table of docs/conformance.md is
 * checked against what ran (`-- --write-docs` rewrites it). The suite needs Node.js 22 or newer: when this Node is
 * older, a pinned Node 22 is installed from the npm registry into node_modules/.cache (once).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { startLocalCluster } from '../../infra/local/cluster.js';
import { CONFORMANCE_FIXTURE } from '../../infra/local/fixtures.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const DOC = join(ROOT, 'docs/conformance.md');
const NODE_FOR_SUITE = '22.23.3';

interface SuiteRun {
  /** Names the run in the output and the docs. */
  title: string;
  /** The installed suite: a package folder under node_modules. */
  suite: string;
  args: string[];
  expectedFailures: string;
  /** The suite's frozen requirement set, whose `not_scored` scenarios are reported but never judged. */
  requirements?: string;
}

const RUNS: SuiteRun[] = [
  {
    title: '0.1.16, `--suite all` (protocol 2025-11-25)',
    suite: '@modelcontextprotocol/conformance',
    args: ['--suite', 'all'],
    expectedFailures: '0.1.16-all.yaml',
  },
  {
    title: '0.2.0-alpha.12, `--requirements 2025-11-25`',
    suite: 'mcp-conformance-2026',
    args: ['--requirements', '2025-11-25'],
    expectedFailures: '2025-11-25.yaml',
    requirements: '2025-11-25.yaml',
  },
  {
    title: '0.2.0-alpha.12, `--requirements 2026-07-28`',
    suite: 'mcp-conformance-2026',
    args: ['--requirements', '2026-07-28'],
    expectedFailures: '2026-07-28.yaml',
    requirements: '2026-07-28.yaml',
  },
];

const log = (message: string) => process.stderr.write(`[conformance] ${message}\n`);

/** A Node.js the suite runs on (22 or newer): this one, or a pinned one installed from the npm registry. */
function nodeForSuite(): string {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const prefix = join(ROOT, 'node_modules/.cache/mcp-cluster', `node-${NODE_FOR_SUITE}`);
  const binary = join(prefix, 'node_modules/node/bin/node');
  if (!existsSync(binary)) {
    log(`the suite needs Node.js 22+; installing node@${NODE_FOR_SUITE} from the npm registry into ${prefix}`);
    const installed = spawnSync(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node@${NODE_FOR_SUITE}`],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (installed.status !== 0 || !existsSync(binary)) throw new Error(`could not install node@${NODE_FOR_SUITE}`);
  }
  return binary;
}

function run(command: string, args: string[]): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', fail);
    child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

interface Entry {
  name: string;
  reason: string;
}

/**
 * The entries of an expected-failures file, with the reason each line gives in its comment, and its `notes`: why
 * scenarios the suite does not score fail (the suite reads `server` and `client` only).
 */
function expectedFailures(file: string): { entries: Entry[]; notes: Record<string, string> } {
  const entries: Entry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*-\s+([^\s#]+)\s*(?:#\s*(.*))?$/.exec(line);
    if (match) entries.push({ name: match[1]!, reason: match[2]?.trim() ?? '' });
  }
  const { notes } = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as { notes?: Record<string, string> };
  return { entries, notes: notes ?? {} };
}

type Status = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';

/** Every scenario a run wrote (`-o`), with the status of each of its checks. */
function scenarioResults(outputDir: string): Map<string, Map<string, Status>> {
  const results = new Map<string, Map<string, Status>>();
  for (const dir of readdirSync(outputDir).sort()) {
    const scenario = dir.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
    const checks = JSON.parse(readFileSync(join(outputDir, dir, 'checks.json'), 'utf8')) as {
      id: string;
      status: Status;
    }[];
    const byCheck = results.get(scenario) ?? new Map<string, Status>();
    for (const check of checks) if (byCheck.get(check.id) !== 'FAILURE') byCheck.set(check.id, check.status);
    results.set(scenario, byCheck);
  }
  return results;
}

function notScored(run: SuiteRun): Map<string, string> {
  if (!run.requirements) return new Map();
  const file = join(ROOT, 'node_modules', run.suite, 'requirements', run.requirements);
  const requirements = parseYaml(readFileSync(file, 'utf8')) as {
    not_scored?: { scenario: string; leg: string; reason: string }[];
  };
  return new Map((requirements.not_scored ?? []).filter((e) => e.leg === 'server').map((e) => [e.scenario, e.reason]));
}

/** The docs' table of one run: every scenario, whether it passed, and why not. */
function table(run: SuiteRun, results: Map<string, Map<string, Status>>): string {
  const { entries, notes } = expectedFailures(join(HERE, 'expected-failures', run.expectedFailures));
  const unscored = notScored(run);
  const checks = (n: number) => `${n} check${n === 1 ? '' : 's'}`;
  const rows = [...results].map(([scenario, byCheck]) => {
    const statuses = [...byCheck.values()];
    const failures = statuses.filter((status) => status === 'FAILURE').length;
    const warnings = statuses.filter((status) => status === 'WARNING').length;
    const passed = statuses.filter((status) => status === 'SUCCESS').length;
    const reasons = entries
      .filter((entry) => entry.name === scenario || entry.name.startsWith(`${scenario}:`))
      .map((entry) => (entry.name.includes(':') ? `\`${entry.name.split(':')[1]}\`: ${entry.reason}` : entry.reason));
    if (notes[scenario]) reasons.push(notes[scenario]);
    const scored = unscored.has(scenario) ? ` (not scored: ${unscored.get(scenario)})` : '';
    const result = failures
      ? `**fails** ${failures} of ${checks(byCheck.size)}`
      : warnings
        ? `warns on ${warnings} of ${checks(byCheck.size)}`
        : `pass (${checks(passed)})`;
    return `| \`${scenario}\`${scored} | ${result} | ${[...new Set(reasons)].join('; ')} |`;
  });
  const passing = [...results.values()].filter((checks) =>
    [...checks.values()].every((status) => status !== 'FAILURE' && status !== 'WARNING'),
  ).length;
  return [
    `### ${run.title}: ${passing} of ${results.size} scenarios pass every check`,
    '',
    '| scenario | result | why it does not pass yet |',
    '|---|---|---|',
    ...rows,
  ].join('\n');
}

const BEGIN = '<!-- conformance results: generated by `npm run conformance -- --write-docs` -->';
const END = '<!-- end of conformance results -->';

async function main(): Promise<number> {
  const writeDocs = process.argv.includes('--write-docs');
  const node = nodeForSuite();
  const work = mkdtempSync(join(tmpdir(), 'mcp-cluster-conformance-'));
  const workerLog: string[] = [];
  log('starting the local cluster with the conformance fixture');
  const cluster = await startLocalCluster({
    port: 0,
    workers: 2,
    stateDir: join(work, 'state'),
    ...CONFORMANCE_FIXTURE,
    anonymousAccess: true,
    env: { LOG_LEVEL: 'warn' },
    onLog: (line) => workerLog.push(line),
  });
  let failed = 0;
  const tables: string[] = [];
  try {
    for (const [index, suiteRun] of RUNS.entries()) {
      const outputDir = join(work, `run-${index}`);
      log(`${suiteRun.title} against ${cluster.url}`);
      const status = await run(node, [
        join(ROOT, 'node_modules', suiteRun.suite, 'dist/index.js'),
        'server',
        '--url',
        cluster.url,
        ...suiteRun.args,
        '--expected-failures',
        join(HERE, 'expected-failures', suiteRun.expectedFailures),
        '-o',
        outputDir,
      ]);
      if (status !== 0) {
        failed++;
        log(
          `${suiteRun.title}: the suite reports failures it did not expect, or stale expected failures (exit ${status})`,
        );
      }
      tables.push(table(suiteRun, scenarioResults(outputDir)));
    }
  } finally {
    await cluster.stop();
    if (failed) {
      const errors = workerLog.filter((line) => line.includes('"level":"error"'));
      if (errors.length) log(`worker errors:\n${errors.slice(-20).join('\n')}`);
    }
    rmSync(work, { recursive: true, force: true });
  }

  const generated = `${BEGIN}\n\n${tables.join('\n\n')}\n\n${END}`;
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < 0) throw new Error(`${DOC} has no results section (${BEGIN} … ${END})`);
  const current = doc.slice(start, end + END.length);
  if (writeDocs) {
    writeFileSync(DOC, doc.slice(0, start) + generated + doc.slice(end + END.length));
    log('docs/conformance.md: results table rewritten');
  } else if (current !== generated) {
    failed++;
    log('docs/conformance.md does not show these results: run `npm run conformance -- --write-docs` and commit it');
  }
  log(failed ? `FAILED (${failed} problem(s))` : `passed: ${RUNS.length} runs as expected, docs up to date`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
