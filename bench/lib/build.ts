import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The same banner as `infra/build/bundle.ts`: some dependencies still call require(). */
const BANNER = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

/** As in `infra/build/bundle.ts`: only zod's English locale is bundled. */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(args.path),
    }));
  },
};

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
 * Bundles a Lambda handler with the options of `infra/build/bundle.ts` (Node 22, ESM, minified, tree-shaken, the
 * require banner, zod's English locale only): ours and the baseline are built alike. `minify: false` keeps names
 * readable for `--cpu-prof` (BENCH_PROFILE=1). bench/run.ts checks these options still match the product's build by
 * bundling functions/mcp/handler.ts both ways and comparing the bytes.
 */
export async function bundleHandler(
  entry: string,
  outfile: string,
  options: { minify: boolean; syntheticTools?: boolean },
): Promise<{ file: string; bytes: number }> {
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: options.minify,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
    banner: { js: BANNER },
    plugins: options.syntheticTools ? [zodEnglishOnly, syntheticToolIndex] : [zodEnglishOnly],
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
    banner: { js: BANNER },
  });
  return outfile;
}
