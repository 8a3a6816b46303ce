import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PromptDefinition } from '../../shared/tools/define-prompt.js';
import type { ResourceDefinition } from '../../shared/tools/define-resource.js';
import type { FolderToolDefinition, ToolDefinition } from '../../shared/tools/define-tool.js';
import { promptMetadata, resourceMetadata } from '../../shared/tools/lazy-items.js';
import { type CodeToolMetadata, codeToolMetadata } from '../../shared/tools/lazy-tool.js';
import { loadCodeTools } from '../../shared/tools/load-tools.js';
import { TOOL_FOLDER_PATTERN, toolNameForFolder } from '../../shared/tools/naming.js';
import { paramHeadersOf } from '../../shared/tools/param-headers.js';

/**
 * Tool discovery: every folder `functions/tools/<name>/` with a `tool.ts` is a tool. This writes
 * `functions/tools/index.generated.ts`, which serves each tool from its metadata (read here from the tool's module,
 * JSON Schemas included) and imports the module only on the tool's first call (shared/tools/lazy-tool.ts). Tests,
 * `npm start` and the Lambda bundles all load tools through it, so what runs locally is what runs deployed: in a
 * bundle, each tool's module is a chunk of its own that a cold start never evaluates. Nobody edits a list by hand.
 * Runs before `start`, `test`, `build`, `typecheck` and `cdk synth`.
 */
export const TOOLS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../functions/tools');
export const TOOL_INDEX_FILE = join(TOOLS_DIR, 'index.generated.ts');

const LAZY_TOOL = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/tools/lazy-tool.js');
const LAZY_ITEMS = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/tools/lazy-items.js');

export interface ToolModule {
  folder: string;
  tool: FolderToolDefinition;
}

/** The folder tools, by folder: each one's module (an absolute path) and its metadata. */
export type CodeToolCatalog = Readonly<Record<string, { module: string; metadata: CodeToolMetadata }>>;

export function discoverToolFolders(toolsDir = TOOLS_DIR, file = 'tool.ts'): string[] {
  if (!existsSync(toolsDir)) return [];
  const folders = readdirSync(toolsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(toolsDir, entry.name, file)))
    .map((entry) => entry.name)
    .sort();
  const bad = folders.filter((folder) => !TOOL_FOLDER_PATTERN.test(folder));
  if (bad.length) {
    throw new Error(`Folder names must be kebab-case (${TOOL_FOLDER_PATTERN}): ${bad.join(', ')} in ${toolsDir}`);
  }
  return folders;
}

/**
 * Every folder tool of `toolsDirs`, read from its module as `defineTool` made it, and checked as a client would
 * need it: the folder exports its tool under the folder's name, what the tool loads before its first call (a JSON
 * Schema input's compiled check) works, and its x-mcp-header annotations keep MCP's rules. A tool that fails is
 * refused here, naming the folder, rather than advertised and refusing every call. Two folders of one name too.
 */
export async function readToolCatalog(toolsDirs: readonly string[] = [TOOLS_DIR]): Promise<CodeToolCatalog> {
  const catalog: Record<string, { module: string; metadata: CodeToolMetadata }> = {};
  for (const dir of toolsDirs) {
    const folders = discoverToolFolders(dir);
    const modules = await Promise.all(
      folders.map(async (folder) => {
        const module = join(dir, folder, 'tool.ts');
        const { default: tool } = (await import(pathToFileURL(module).href)) as { default: ToolDefinition };
        return { folder, module, tool };
      }),
    );
    loadCodeTools(modules);
    for (const { folder, module, tool } of modules) {
      if (catalog[folder]) throw new Error(`Two tool folders are named ${folder}: in ${TOOLS_DIR} and in ${dir}`);
      try {
        await tool.ready?.();
      } catch (error) {
        throw new Error(`Tool folder ${folder}: ${(error as Error).message}`, { cause: error });
      }
      const { problems } = paramHeadersOf(tool.inputJsonSchema);
      if (problems.length) throw new Error(`Tool folder ${folder}: ${problems.join('; ')}`);
      catalog[folder] = { module, metadata: codeToolMetadata(tool) };
    }
  }
  return catalog;
}

/**
 * The index module of a folder of folders: each entry serves its folder's definition from the metadata read at
 * generation (`lazy(metadata, load)`), its module imported only on first use. Paths are relative to `indexDir`.
 */
function renderIndex(
  as: { lazy: string; from: string; exportName: string; key: string },
  catalog: Readonly<Record<string, { module: string; metadata: unknown }>>,
  indexDir: string,
): string {
  const relativeTo = (path: string) => {
    const specifier = relative(indexDir, path).split('\\').join('/');
    return specifier.startsWith('.') ? specifier : `./${specifier}`;
  };
  const entries = Object.entries(catalog).map(
    ([folder, { module, metadata }]) =>
      `  {\n    folder: ${JSON.stringify(folder)},\n    ${as.key}: ${as.lazy}(${JSON.stringify(metadata)}, () => import(${JSON.stringify(relativeTo(module).replace(/\.ts$/, '.js'))})),\n  },`,
  );
  return [
    '// Generated by infra/build/tool-index.ts from the folders beside it. Do not edit; do not commit.',
    `import { ${as.lazy} } from '${relativeTo(as.from)}';`,
    '',
    `export const ${as.exportName} = [`,
    ...entries,
    '];',
    '',
  ].join('\n');
}

/** Writes a generated index where its text changed (so watchers and type checkers see no needless change). */
function writeIndexFile(dir: string, text: string): void {
  const file = join(dir, 'index.generated.ts');
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
}

/** The index module serving a catalog's tools lazily; module paths are written relative to `indexDir`. */
export function renderToolIndex(catalog: CodeToolCatalog, indexDir: string): string {
  return renderIndex(
    { lazy: 'lazyCodeTool', from: LAZY_TOOL, exportName: 'toolModules', key: 'tool' },
    catalog,
    indexDir,
  );
}

/** Writes the index of a folder of tool folders if it changed; returns the folders found. */
export async function writeToolIndex(toolsDir = TOOLS_DIR): Promise<string[]> {
  const catalog = await readToolCatalog([toolsDir]);
  writeIndexFile(toolsDir, renderToolIndex(catalog, toolsDir));
  return Object.keys(catalog);
}

/** The tools of a folder of tool folders, through its (regenerated) index: how tests, `npm start` and Lambda load them. */
export async function toolModulesIn(toolsDir = TOOLS_DIR): Promise<readonly ToolModule[]> {
  await writeToolIndex(toolsDir);
  const index = pathToFileURL(join(toolsDir, 'index.generated.ts')).href;
  return ((await import(index)) as { toolModules: readonly ToolModule[] }).toolModules;
}

/**
 * Resources and prompts are folders too: `functions/resources/<name>/resource.ts` (`defineResource`) and
 * `functions/prompts/<name>/prompt.ts` (`definePrompt`), each listed from the metadata its generated index carries and
 * loaded on its first read or get, exactly as tools are.
 */
export type ItemKind = 'resource' | 'prompt';

interface ItemKindSpec {
  dir: string;
  file: string;
  exportName: string;
  lazy: string;
  metadataOf(definition: never): unknown;
}

export const ITEM_KINDS: Record<ItemKind, ItemKindSpec> = {
  resource: {
    dir: resolve(TOOLS_DIR, '../resources'),
    file: 'resource.ts',
    exportName: 'resourceModules',
    lazy: 'lazyResource',
    metadataOf: (definition: ResourceDefinition) => resourceMetadata(definition),
  },
  prompt: {
    dir: resolve(TOOLS_DIR, '../prompts'),
    file: 'prompt.ts',
    exportName: 'promptModules',
    lazy: 'lazyPrompt',
    metadataOf: (definition: PromptDefinition) => promptMetadata(definition),
  },
};

export type ItemCatalog = Readonly<Record<string, { module: string; metadata: unknown }>>;

/** Every folder item of a kind in `dirs`: each exports its definition under its folder's name, checked here. */
export async function readItemCatalog(
  kind: ItemKind,
  dirs: readonly string[] = [ITEM_KINDS[kind].dir],
): Promise<ItemCatalog> {
  const spec = ITEM_KINDS[kind];
  const catalog: Record<string, { module: string; metadata: unknown }> = {};
  const problems: string[] = [];
  for (const dir of dirs) {
    for (const folder of discoverToolFolders(dir, spec.file)) {
      const module = join(dir, folder, spec.file);
      const { default: definition } = (await import(pathToFileURL(module).href)) as {
        default: ResourceDefinition | PromptDefinition;
      };
      if (definition?.kind !== kind) {
        problems.push(
          `${relative(process.cwd(), module)} must "export default define${kind === 'resource' ? 'Resource' : 'Prompt'}({...})"`,
        );
      } else if (definition.name !== toolNameForFolder(folder)) {
        problems.push(
          `${relative(process.cwd(), module)} declares "${definition.name}"; the folder requires "${toolNameForFolder(folder)}"`,
        );
      } else if (catalog[folder]) {
        problems.push(`Two ${kind} folders are named ${folder}: in ${spec.dir} and in ${dir}`);
      } else {
        catalog[folder] = { module, metadata: spec.metadataOf(definition as never) };
      }
    }
  }
  if (problems.length) throw new Error(`Invalid ${kind}s:\n  ${problems.join('\n  ')}`);
  return catalog;
}

/** The index module serving a catalog's items lazily; module paths are written relative to `indexDir`. */
export function renderItemIndex(kind: ItemKind, catalog: ItemCatalog, indexDir: string): string {
  const spec = ITEM_KINDS[kind];
  return renderIndex({ lazy: spec.lazy, from: LAZY_ITEMS, exportName: spec.exportName, key: kind }, catalog, indexDir);
}

/** Writes the index of a folder of item folders (if it changed); returns the folders found. */
export async function writeItemIndex(kind: ItemKind, dir = ITEM_KINDS[kind].dir): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const catalog = await readItemCatalog(kind, [dir]);
  writeIndexFile(dir, renderItemIndex(kind, catalog, dir));
  return Object.keys(catalog);
}

/** The items of a folder of item folders, through its (regenerated) index. */
export async function itemModulesIn<K extends ItemKind>(
  kind: K,
  dir = ITEM_KINDS[kind].dir,
): Promise<(K extends 'resource' ? ResourceDefinition : PromptDefinition)[]> {
  if ((await writeItemIndex(kind, dir)).length === 0 && !existsSync(join(dir, 'index.generated.ts'))) return [];
  const index = pathToFileURL(join(dir, 'index.generated.ts')).href;
  const modules = (await import(index))[ITEM_KINDS[kind].exportName] as Record<string, unknown>[];
  return modules.map((entry) => entry[kind]) as never;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const folders = await writeToolIndex();
  const resources = await writeItemIndex('resource');
  const prompts = await writeItemIndex('prompt');
  console.log(
    `tool index: ${folders.length} tools (${folders.join(', ')}), ${resources.length} resources, ${prompts.length} prompts`,
  );
}
