import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { type CodeToolCatalog, lambdaBuildOptions } from '../../infra/build/bundle.js';
import type { ItemCatalog, ItemKind } from '../../infra/build/tool-index.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Serves `bench/entries/synthetic-tool-index.ts` where the MCP handler imports the generated tool index. */
const syntheticToolIndex: Plugin = {
  name: 'bench-synthetic-tool-index',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /\/index\.generated\.js$/ }, (args) => {
      if (!resolve(args.resolveDir, args.path).startsWith(join(ROOT, 'functions/tools/'))) return undefined;
      return { path: join(ROOT, 'bench/entries/synthetic-tool-index.ts') };
    });
  },
};

/**
 * Bundles a Lambda handler with the product's own options (`lambdaBuildOptions` of `infra/build/bundle.ts`), into
 * `dirname(outfile)`: ours and the baseline are built alike. `minify: false` keeps names readable for `--cpu-prof`
 * (BENCH_PROFILE=1). `bytes` is the entry file's size, what a cold start reads before any on-demand chunk.
 */
export async function bundleHandler(
  entry: string,
  outfile: string,
  options: {
    minify: boolean;
    syntheticTools?: boolean;
    codeTools?: CodeToolCatalog;
    codeItems?: Record<ItemKind, ItemCatalog>;
  },
): Promise<{ file: string; bytes: number }> {
  const product = lambdaBuildOptions({
    minify: options.minify,
    codeTools: options.codeTools,
    ...(options.codeItems ? { codeItems: options.codeItems } : {}),
  });
  await build({
    ...product,
    entryPoints: [join(ROOT, entry)],
    outdir: dirname(outfile),
    entryNames: basename(outfile, '.mjs'),
    plugins: [...(product.plugins ?? []), ...(options.syntheticTools ? [syntheticToolIndex] : [])],
  });
  return { file: outfile, bytes: statSync(outfile).size };
}

/** Bundles one of `bench/runners/*.ts` into a plain ESM file, so runners start with `node` alone (no tsx hooks). */
export async function bundleRunner(name: string, outdir: string): Promise<string> {
  const outfile = join(outdir, `${name}.mjs`);
  await build({
    entryPoints: [join(ROOT, 'bench/runners', `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return outfile;
}

/**
 * Sizes of a bundle: what `import` reads (the entry and the chunks it imports statically, transitively) and the whole
 * folder (every chunk, also those loaded only on demand); gzip of the former as a proxy for what a cold start parses.
 */
export function bundleSizes(entry: string): { importBytes: number; importGzipBytes: number; allBytes: number } {
  const dir = dirname(entry);
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    // Static imports only (`from"./x.mjs"`, `import"./x.mjs"`); `import("./x.mjs")` is on demand.
    for (const match of text.matchAll(/(?:from|import)\s*"(\.\.?\/[^"]+\.mjs)"/g)) {
      visit(resolve(dirname(file), match[1]!));
    }
  };
  visit(entry);
  const loaded = [...seen].map((file) => readFileSync(file));
  const all = readdirSync(dir, { recursive: true, withFileTypes: true }).filter(
    (e) => e.isFile() && e.name.endsWith('.mjs'),
  );
  return {
    importBytes: loaded.reduce((sum, b) => sum + b.length, 0),
    importGzipBytes: gzipSync(Buffer.concat(loaded)).length,
    allBytes: all.reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0),
  };
}
