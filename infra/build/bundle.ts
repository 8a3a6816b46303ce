import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import {
  type CodeToolCatalog,
  ITEM_KINDS,
  type ItemCatalog,
  type ItemKind,
  readItemCatalog,
  readToolCatalog,
  renderItemIndex,
  renderToolIndex,
  TOOL_INDEX_FILE,
  TOOLS_DIR,
  writeItemIndex,
  writeToolIndex,
} from './tool-index.js';

export type { CodeToolCatalog };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Lambda functions built by the project's own esbuild: entry → output folder name under `outdir`. */
export const FUNCTION_ENTRIES = {
  mcp: 'functions/mcp/handler.ts',
  'manifest-sync': 'functions/manifest-sync/handler.ts',
  'audit-ingest': 'functions/audit-ingest/handler.ts',
  admin: 'functions/admin/handler.ts',
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

/**
 * A Lambda function's credentials are always in its environment: the bundles take the SDK's environment provider for
 * its whole default chain (shared/aws/lambda-credential-provider.ts), so the chain's other providers, and the chunks
 * they would split the bundle into, are left out.
 */
const lambdaCredentials: Plugin = {
  name: 'lambda-credentials',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: join(ROOT, 'shared/aws/lambda-credential-provider.ts'),
    }));
  },
};

/** Where a bundle's S3 client is, beside the chunk that loads it (see `separateS3Client`). */
const S3_CLIENT_FILE = 'client-s3.mjs';
/** What the bundles use of the S3 client (shared/store/result-objects.ts). */
const S3_CLIENT_EXPORTS = ['S3Client', 'GetObjectCommand', 'HeadObjectCommand', 'PutObjectCommand'];

/**
 * The S3 client (large results) shares the AWS SDK's core modules with the DynamoDB client that every cold start
 * loads; bundled with it, the S3-only parts of those modules (the XML protocol, checksums, waiters: some 45 KB) would
 * land in the chunks a cold start reads. So it is bundled on its own, into `chunks/client-s3.mjs`, which only the
 * first large result loads; the chunk that imports it must be in `chunks/` too, or the build fails.
 */
const separateS3Client: Plugin = {
  name: 'separate-s3-client',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^@aws-sdk\/client-s3$/ }, () => ({ path: `./${S3_CLIENT_FILE}`, external: true }));
    pluginBuild.onEnd(async (result) => {
      const importers = Object.entries(result.metafile?.outputs ?? {}).filter(([, output]) =>
        output.imports.some((i) => i.external && i.path === `./${S3_CLIENT_FILE}`),
      );
      if (result.errors.length > 0 || importers.length === 0) return;
      const outdir = pluginBuild.initialOptions.outdir ?? '.';
      const misplaced = importers.filter(([file]) => resolve(dirname(file)) !== resolve(outdir, 'chunks'));
      if (misplaced.length) {
        return {
          errors: misplaced.map(([file]) => ({ text: `${file} imports the S3 client but is not a chunk (chunks/)` })),
        };
      }
      await build({
        stdin: {
          contents: `export { ${S3_CLIENT_EXPORTS.join(', ')} } from '@aws-sdk/client-s3';`,
          resolveDir: ROOT,
          loader: 'js',
        },
        bundle: true,
        platform: 'node',
        target: 'node22',
        format: 'esm',
        mainFields: ['module', 'main'],
        minify: pluginBuild.initialOptions.minify,
        legalComments: 'none',
        logLevel: 'warning',
        plugins: [lambdaCredentials],
        banner: pluginBuild.initialOptions.banner,
        outfile: join(outdir, 'chunks', S3_CLIENT_FILE),
      });
      return undefined;
    });
  },
};

/**
 * A bundle that serves more tool folders than functions/tools (the local cluster's conformance fixture) gets the same
 * lazy index as functions/tools/index.generated.ts (infra/build/tool-index.ts), rendered for all of its folders.
 */
function toolIndexOf(catalog: CodeToolCatalog, items: Record<ItemKind, ItemCatalog>): Plugin {
  const indexes = new Map<string, { contents: string; resolveDir: string }>([
    [TOOL_INDEX_FILE, { contents: renderToolIndex(catalog, TOOLS_DIR), resolveDir: TOOLS_DIR }],
    ...(Object.keys(items) as ItemKind[]).map((kind) => {
      const dir = ITEM_KINDS[kind].dir;
      return [
        join(dir, 'index.generated.ts'),
        { contents: renderItemIndex(kind, items[kind], dir), resolveDir: dir },
      ] as const;
    }),
  ]);
  return {
    name: 'tool-index',
    setup(pluginBuild) {
      pluginBuild.onLoad(
        { filter: /[\\/]functions[\\/](tools|resources|prompts)[\\/]index\.generated\.ts$/ },
        (args) => {
          const index = indexes.get(resolve(args.path));
          return index ? { ...index, loader: 'ts' } : undefined;
        },
      );
    },
  };
}

/**
 * esbuild options shared by every Lambda bundle (and the benchmarks, which build ours and the baseline alike):
 * Node 22, ESM, minified, tree-shaken. ESM builds of dependencies (`mainFields`) tree-shake better than their CJS
 * ones, and code loaded only on demand (each folder tool, JOSE, Ajv for HTTP tools and JSON Schema inputs) goes into
 * chunks beside `index.mjs` that a cold start never reads (`splitting`).
 */
export function lambdaBuildOptions(
  options: { minify?: boolean; codeTools?: CodeToolCatalog; codeItems?: Record<ItemKind, ItemCatalog> } = {},
): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: ['module', 'main'],
    splitting: true,
    entryNames: 'index',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    minify: options.minify ?? true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [
      zodEnglishOnly,
      lambdaCredentials,
      separateS3Client,
      ...(options.codeTools ? [toolIndexOf(options.codeTools, options.codeItems ?? { resource: {}, prompt: {} })] : []),
    ],
    metafile: true,
    // Some dependencies still call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  };
}

/**
 * Every folder tool of `functions/tools` (and of `extraToolDirs`, such as the conformance fixture), by folder, checked
 * (`readToolCatalog`). Regenerates the tool indexes first.
 */
/** Every folder resource (or prompt) of functions/ and of `extraDirs`, checked; regenerates their indexes first. */
export async function itemCatalog(kind: ItemKind, extraDirs: readonly string[] = []): Promise<ItemCatalog> {
  for (const dir of [ITEM_KINDS[kind].dir, ...extraDirs]) await writeItemIndex(kind, dir);
  return readItemCatalog(kind, [ITEM_KINDS[kind].dir, ...extraDirs]);
}

export async function codeToolCatalog(extraToolDirs: readonly string[] = []): Promise<CodeToolCatalog> {
  await writeToolIndex();
  for (const dir of extraToolDirs) await writeToolIndex(dir);
  return readToolCatalog([TOOLS_DIR, ...extraToolDirs]);
}

/** sha256 over every file of a bundle folder (entry and chunks, in name order): changes whenever the code does. */
export function bundleDigest(dir: string): string {
  const hash = createHash('sha256');
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.mjs'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  for (const file of files) hash.update(file.slice(dir.length)).update(readFileSync(file));
  return hash.digest('hex');
}

export interface BundleResult {
  /** Folder per function, holding `index.mjs` and its on-demand chunks (+ source maps): what `Code.fromAsset` takes. */
  dirs: Record<FunctionName, string>;
  /** Size of each function's `index.mjs`: what a cold start reads (chunks load only when needed). */
  bytes: Record<FunctionName, number>;
}

/**
 * Bundles every Lambda function for Node 22: ESM, minified, with linked source maps, tree-shaken to what each
 * handler imports. Regenerates the tool index first, so a new tool folder is always included, and serves the tools
 * from their metadata, each tool's module loaded on its first call.
 */
export async function bundleFunctions(
  options: {
    outdir?: string;
    minify?: boolean;
    /** Tool folders served besides functions/tools (the local cluster's conformance fixture); never in a deploy. */
    extraToolDirs?: readonly string[];
    /** Resource and prompt folders served besides functions/resources and functions/prompts (the fixture's). */
    extraResourceDirs?: readonly string[];
    extraPromptDirs?: readonly string[];
  } = {},
): Promise<BundleResult> {
  const codeTools = await codeToolCatalog(options.extraToolDirs);
  const codeItems = {
    resource: await itemCatalog('resource', options.extraResourceDirs),
    prompt: await itemCatalog('prompt', options.extraPromptDirs),
  };
  const outdir = resolve(options.outdir ?? join(ROOT, 'dist/functions'));
  const dirs = {} as Record<FunctionName, string>;
  const bytes = {} as Record<FunctionName, number>;
  for (const [name, entry] of Object.entries(FUNCTION_ENTRIES) as [FunctionName, string][]) {
    const dir = join(outdir, name);
    rmSync(dir, { recursive: true, force: true }); // no chunk of an earlier build may linger in the asset
    await build({
      ...lambdaBuildOptions({ minify: options.minify, codeTools, codeItems }),
      entryPoints: [join(ROOT, entry)],
      outdir: dir,
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
