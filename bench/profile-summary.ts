/**
 * Summarizes `--cpu-prof` profiles: top self-time functions and modules.
 *
 *   npx tsx bench/profile-summary.ts bench/profiles/cold-start [--top 20] [--match ours]
 *
 * A directory sums every *.cpuprofile in it (`--match` keeps files whose content mentions the string, e.g. a bundle
 * path). Functions in an unminified esbuild bundle (BENCH_PROFILE=1 builds them so) are attributed to their source
 * module through esbuild's `// path/to/module.js` comments.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './lib/build.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  files: number;
  totalMs: number;
  functions: { name: string; module: string; selfMs: number }[];
  modules: { module: string; selfMs: number }[];
}

const moduleMarkers = new Map<string, { line: number; module: string }[]>();

/** esbuild's `// node_modules/zod/v4/core/schemas.js` comments, by line (0-based, like V8's lineNumber). */
function markersOf(file: string): { line: number; module: string }[] {
  let markers = moduleMarkers.get(file);
  if (!markers) {
    markers = [];
    if (existsSync(file) && /\.m?js$/.test(file)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((text, line) => {
        const match = /^\/\/ ((?:\.\.\/)*(?:node_modules|shared|functions|bench|infra)\/\S+)$/.exec(text);
        if (match) markers!.push({ line, module: match[1]!.replace(/^(\.\.\/)+/, '') });
      });
    }
    moduleMarkers.set(file, markers);
  }
  return markers;
}

/** A readable module name: the package (or repo folder) for node_modules, the repo path otherwise. */
function moduleOf(frame: CallFrame): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (frame.url.startsWith('node:')) return frame.url;
  let file = frame.url;
  try {
    file = frame.url.startsWith('file:') ? fileURLToPath(frame.url.replace(/\?.*$/, '')) : frame.url;
  } catch {
    return frame.url;
  }
  const markers = markersOf(file);
  let path = relative(ROOT, file);
  if (markers.length) {
    let found: string | undefined;
    for (const marker of markers) {
      if (marker.line > frame.lineNumber) break;
      found = marker.module;
    }
    path = found ?? `${path} (bundle prelude)`;
  }
  const nodeModules = /node_modules\/((?:@[^/]+\/)?[^/]+)(\/.*)?$/.exec(path);
  if (nodeModules) {
    const pkg = nodeModules[1]!;
    // The big packages are more useful split one level down.
    const rest = (nodeModules[2] ?? '').split('/').filter(Boolean);
    const sub = rest[0] === 'dist' ? rest.slice(1, 3) : rest.slice(0, 2);
    return `${pkg}${sub.length ? `/${sub.join('/')}` : ''}`;
  }
  return path;
}

export function summarize(paths: string[], options: { top?: number; match?: string } = {}): ProfileSummary {
  const files = paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => name.endsWith('.cpuprofile'))
          .map((name) => join(path, name))
      : [path],
  );
  const functions = new Map<string, { name: string; module: string; selfMs: number }>();
  const modules = new Map<string, number>();
  let totalMs = 0;
  let used = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (options.match && !text.includes(options.match)) continue;
    used++;
    const profile = JSON.parse(text) as CpuProfile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => {
      self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    });
    for (const [id, ms] of self) {
      const frame = byId.get(id);
      if (!frame) continue;
      totalMs += ms;
      // Native code (JSON, crypto, buffers, syscalls) is charged to the nearest JavaScript caller's module.
      let module = moduleOf(frame);
      if (module === '(native)') {
        let up = parent.get(id);
        while (up !== undefined && moduleOf(byId.get(up)!) === '(native)') up = parent.get(up);
        const caller = up === undefined ? undefined : byId.get(up);
        if (caller?.url) module = `${moduleOf(caller)} (native)`;
      }
      const name = frame.functionName || '(anonymous)';
      const key = `${name}|${module}|${frame.url}:${frame.lineNumber}`;
      const entry = functions.get(key) ?? { name: `${name} :${frame.lineNumber + 1}`, module, selfMs: 0 };
      entry.selfMs += ms;
      functions.set(key, entry);
      modules.set(module, (modules.get(module) ?? 0) + ms);
    }
  }
  const top = options.top ?? 20;
  return {
    files: used,
    totalMs,
    functions: [...functions.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top),
    modules: [...modules.entries()]
      .map(([module, selfMs]) => ({ module, selfMs }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  const pct = (ms: number) => `${((ms / summary.totalMs) * 100).toFixed(1).padStart(5)}%`;
  const lines = [
    `${summary.files} profile(s), ${summary.totalMs.toFixed(0)} ms sampled`,
    '',
    'top self time by module:',
  ];
  for (const m of summary.modules) lines.push(`  ${pct(m.selfMs)} ${m.selfMs.toFixed(1).padStart(9)} ms  ${m.module}`);
  lines.push('', 'top self time by function:');
  for (const f of summary.functions) {
    lines.push(`  ${pct(f.selfMs)} ${f.selfMs.toFixed(1).padStart(9)} ms  ${f.name}  [${f.module}]`);
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const index = args.indexOf(name);
    if (index < 0) return undefined;
    const [value] = args.splice(index, 2).slice(1);
    return value;
  };
  const top = Number(flag('--top') ?? '20');
  const match = flag('--match');
  if (args.length === 0) {
    console.error('usage: tsx bench/profile-summary.ts <profile or directory>... [--top N] [--match TEXT]');
    process.exit(2);
  }
  console.log(formatSummary(summarize(args, { top, ...(match ? { match } : {}) })));
}
