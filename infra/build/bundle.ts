import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { writeToolIndex } from './tool-index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Lambda functions built by the project's own esbuild: entry → output folder name under `outdir`. */
export const FUNCTION_ENTRIES = {
  mcp: 'functions/mcp/handler.ts',
  'manifest-sync': 'functions/manifest-sync/handler.ts',
  'audit-ingest': 'functions/audit-ingest/handler.ts',
} as const;

export type FunctionName = keyof typeof FUNCTION_ENTRIES;

/**
 * zod re-exports every locale (about a fifth of the bundle); error messages here are English, so only `en` is kept.
 * Cold start pays for every byte a function loads.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(args.path),
    }));
  },
};

export interface BundleResult {
  /** Folder per function, each holding `index.mjs` (+ its source map): what Lambda's `Code.fromAsset` takes. */
  dirs: Record<FunctionName, string>;
  bytes: Record<FunctionName, number>;
}

/**
 * Bundles every Lambda function for Node 22: ESM, minified, with linked source maps, tree-shaken to what each
 * handler imports. Regenerates the tool index first, so a new tool folder is always included.
 */
export async function bundleFunctions(options: { outdir?: string; minify?: boolean } = {}): Promise<BundleResult> {
  writeToolIndex();
  const outdir = resolve(options.outdir ?? join(ROOT, 'dist/functions'));
  const dirs = {} as Record<FunctionName, string>;
  const bytes = {} as Record<FunctionName, number>;
  for (const [name, entry] of Object.entries(FUNCTION_ENTRIES) as [FunctionName, string][]) {
    const dir = join(outdir, name);
    await build({
      entryPoints: [join(ROOT, entry)],
      outfile: join(dir, 'index.mjs'),
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      minify: options.minify ?? true,
      sourcemap: 'linked',
      sourcesContent: false,
      legalComments: 'none',
      logLevel: 'warning',
      plugins: [zodEnglishOnly],
      // Some dependencies still call require(); give the ESM bundle one.
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    dirs[name] = dir;
    bytes[name] = statSync(join(dir, 'index.mjs')).size;
  }
  return { dirs, bytes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await bundleFunctions();
  for (const [name, dir] of Object.entries(result.dirs)) {
    console.log(`${name}: ${dir}/index.mjs (${(result.bytes[name as FunctionName] / 1024).toFixed(0)} KiB)`);
  }
}
