import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { codeToolCatalog } from '../../infra/build/bundle.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEFINE_TOOL = join(ROOT, 'shared/tools/define-tool.js');

/** A folder of tool folders under node_modules/.cache (so `zod` resolves), removed after the file's tests. */
mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true }); // a fresh `npm ci` has none
const scratch = mkdtempSync(join(ROOT, 'node_modules/.cache/tool-catalog-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function toolsDir(name: string, tool: string, body: string): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, tool), { recursive: true });
  writeFileSync(
    join(dir, tool, 'tool.ts'),
    `import { z } from 'zod';\nimport { defineTool, jsonSchemaInput } from ${JSON.stringify(DEFINE_TOOL)};\n${body}\n`,
  );
  return dir;
}

describe('building the tool catalog (what build, start, test and synth serve)', () => {
  it('serves the extra folders beside functions/tools', async () => {
    const dir = toolsDir(
      'good',
      'extra-tool',
      "export default defineTool({ name: 'extra_tool', description: 'An extra tool.', input: z.object({}), run: async () => 'ok' });",
    );
    const catalog = await codeToolCatalog([dir]);
    assert.ok(catalog['extra-tool'], 'the extra folder is in the catalog');
    assert.ok(catalog.calculate, 'and so are the tools of functions/tools');
  });

  it('fails on a JSON Schema input that does not compile, naming the folder', async () => {
    const dir = toolsDir(
      'broken-schema',
      'broken-schema',
      "export default defineTool({ name: 'broken_schema', description: 'Broken.', input: jsonSchemaInput({ type: 'object', properties: { a: { type: 'nope' } } }), run: async () => 'x' });",
    );
    await assert.rejects(codeToolCatalog([dir]), /Tool folder broken-schema: .*schema is invalid/);
  });

  it('fails on an x-mcp-header annotation that breaks MCP’s rules', async () => {
    const dir = toolsDir(
      'bad-header',
      'bad-header',
      "export default defineTool({ name: 'bad_header', description: 'Bad header.', input: z.object({ n: z.number().meta({ 'x-mcp-header': 'N' }) }), run: async () => 'x' });",
    );
    await assert.rejects(codeToolCatalog([dir]), /Tool folder bad-header: .*string, integer or boolean/);
  });
});
