import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The layout docs/architecture.md draws, checked on the source: folders, what they may import, who talks to DynamoDB. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface SourceFile {
  path: string;
  text: string;
  /** Relative imports, resolved to repository paths; package imports as written. */
  imports: { specifier: string; target?: string; typeOnly: boolean }[];
}

function sources(dir: string): SourceFile[] {
  const files: SourceFile[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
    const path = relative(ROOT, join(entry.parentPath, entry.name)).split('\\').join('/');
    if (path.includes('node_modules') || path.endsWith('.generated.ts')) continue;
    const text = readFileSync(join(ROOT, path), 'utf8');
    const imports = [
      ...text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm),
      ...text.matchAll(/import\('([^']+)'\)/g),
    ].map((match) => {
      const specifier = match[2] ?? match[1]!;
      const typeOnly = match.length > 2 && Boolean(match[1]);
      const target = specifier.startsWith('.')
        ? relative(ROOT, resolve(dirname(join(ROOT, path)), specifier))
            .split('\\')
            .join('/')
            .replace(/\.js$/, '.ts')
        : undefined;
      return { specifier, target, typeOnly };
    });
    files.push({ path, text, imports });
  }
  return files;
}

const product = [...sources('shared'), ...sources('functions'), ...sources('infra')].filter(
  (file) => !file.path.endsWith('.test.ts'),
);

/** A file's folder as the layout names it: `shared/store`, `infra/cli`, `functions/tools/calculate`... */
function folderOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'functions' && parts[1] === 'tools') return parts.slice(0, 3).join('/');
  return parts.slice(0, 2).join('/');
}

describe('the layout (docs/architecture.md)', () => {
  it('has no import cycle between folders, type-only imports included', () => {
    const edges = new Map<string, Set<string>>();
    for (const file of product) {
      for (const { target } of file.imports) {
        if (!target) continue;
        const from = folderOf(file.path);
        const to = folderOf(target);
        if (from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to));
      }
    }
    const cycles: string[] = [];
    const visit = (node: string, path: string[]) => {
      for (const next of edges.get(node) ?? []) {
        if (next === path[0]) cycles.push([...path, next].join(' -> '));
        else if (!path.includes(next) && next > path[0]!) visit(next, [...path, next]);
      }
    };
    for (const node of [...edges.keys()].sort()) visit(node, [node]);
    assert.deepEqual(cycles, []);
  });

  it('sends DynamoDB commands from shared/store only', () => {
    const outside = product
      .filter((file) => !file.path.startsWith('shared/store/'))
      .filter((file) =>
        [...file.text.matchAll(/^import\s+(type\s+)?\{([^}]*)\}\s+from\s+'@aws-sdk\/client-dynamodb'/gm)].some(
          ([, typeOnly, names]) =>
            !typeOnly && names!.split(',').some((name) => /^\s*\w+Command\s*$/.test(name.replace(/\btype\b/, 'x'))),
        ),
      )
      .map((file) => file.path);
    assert.deepEqual(outside, []);
  });

  it('reads the TOOL partition in one place', () => {
    const readers = product.filter(
      (file) => /KeyConditionExpression[^\n]*PK = :pk'/.test(file.text) && /TOOL_PARTITION/.test(file.text),
    );
    assert.deepEqual(
      readers.map((file) => file.path),
      ['shared/store/tool-manifests.ts'],
    );
    assert.equal(readers[0]!.text.match(/new QueryCommand\(/g)?.length, 1);
  });

  it('keeps the platform apart from what runs it: shared/ imports neither infra/ nor a tool folder', () => {
    const wrong = product
      .filter((file) => file.path.startsWith('shared/'))
      .flatMap((file) =>
        file.imports
          .filter(({ target }) => target?.startsWith('infra/') || target?.startsWith('functions/'))
          .map(({ target }) => `${file.path} -> ${target}`),
      );
    assert.deepEqual(wrong, []);
  });

  it('keeps the stores a leaf (the AWS SDK and zod only) and the two front doors apart', () => {
    const importsOf = (folder: string) =>
      product
        .filter((file) => folderOf(file.path) === folder)
        .flatMap((file) => file.imports.map((i) => ({ file: file.path, ...i })));
    const storeOutside = importsOf('shared/store').filter(
      (i) => !(i.target?.startsWith('shared/store/') || /^(@aws-sdk\/|zod$|node:)/.test(i.specifier)),
    );
    assert.deepEqual(storeOutside, []);
    const crossing = [
      ...importsOf('shared/mcp').filter((i) => i.target?.startsWith('shared/admin/')),
      ...importsOf('shared/admin').filter((i) => i.target?.startsWith('shared/mcp/')),
      ...importsOf('shared/http-tools').filter((i) => i.target?.startsWith('shared/admin/')),
    ];
    assert.deepEqual(crossing, []);
  });

  it('gives example tools one entry to import from: mcp-cluster/tools', () => {
    const tools = [...sources('functions/tools')].filter((file) => /\/tool(\.test)?\.ts$/.test(file.path));
    assert.ok(tools.length >= 4);
    const wrong = tools.flatMap((file) =>
      file.imports
        .filter(({ specifier }) => specifier.startsWith('../../../shared/'))
        .map(({ specifier }) => `${file.path}: ${specifier}`),
    );
    assert.deepEqual(wrong, []);
    for (const file of tools.filter((f) => f.path.endsWith('/tool.ts'))) {
      assert.ok(
        file.imports.some(({ specifier }) => specifier === 'mcp-cluster/tools'),
        `${file.path} imports mcp-cluster/tools`,
      );
    }
  });
});
