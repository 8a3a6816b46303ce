import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { defineTool, type ToolDefinition } from '../../shared/tools/define-tool.js';
import { codeToolMetadata, lazyCodeTool } from '../../shared/tools/lazy-tool.js';
import { toolContext } from '../../shared/tools/testing.js';

const greet = defineTool({
  name: 'greet',
  title: 'Greet someone',
  description: 'Says hello to a person by name.',
  input: z.object({ name: z.string().min(1) }),
  output: z.object({ greeting: z.string() }),
  annotations: { readOnlyHint: true },
  scopes: ['people:read'],
  timeoutMs: 2_000,
  run: async ({ name }) => ({ greeting: `Hello, ${name}!` }),
});

/** A lazily served copy of `greet` whose loads are counted. */
function lazyGreet(module: () => Promise<{ default: ToolDefinition }> = async () => ({ default: greet })) {
  const loads = { count: 0 };
  const tool = lazyCodeTool(codeToolMetadata(greet), () => {
    loads.count++;
    return module();
  });
  return { tool, loads };
}

describe('tools served from their metadata, their module loaded on the first call', () => {
  it('describes the tool exactly as its module does, without loading it', () => {
    const { tool, loads } = lazyGreet();
    for (const field of ['name', 'title', 'description', 'annotations', 'scopes', 'secrets', 'timeoutMs'] as const) {
      assert.deepEqual(tool[field], greet[field], field);
    }
    assert.deepEqual(tool.inputJsonSchema, greet.inputJsonSchema);
    assert.deepEqual(tool.outputJsonSchema, greet.outputJsonSchema);
    assert.equal(tool.kind, 'code');
    assert.equal(loads.count, 0);
  });

  it('loads the module once, for concurrent first calls too, then validates, runs and shapes results with it', async () => {
    const { tool, loads } = lazyGreet();
    await Promise.all([tool.ready(), tool.ready(), tool.ready()]);
    await tool.ready();
    assert.equal(loads.count, 1);
    assert.deepEqual(tool.validate({ name: '' }).success, false);
    const parsed = tool.validate({ name: 'Ada' });
    assert.ok(parsed.success);
    const value = await tool.run(parsed.data, toolContext());
    assert.deepEqual(tool.toResult(value).structuredContent, { greeting: 'Hello, Ada!' });
  });

  it('refuses to validate or run before the module is loaded', () => {
    const { tool } = lazyGreet();
    assert.throws(() => tool.validate({ name: 'Ada' }), /before its module is loaded/);
  });

  it('refuses a module that exports another tool, and retries a load that failed', async () => {
    const other = defineTool({ ...greetSpec(), name: 'wave' });
    await assert.rejects(lazyGreet(async () => ({ default: other })).tool.ready(), /does not export its defineTool/);

    let attempts = 0;
    const { tool } = lazyGreet(async () => {
      attempts++;
      if (attempts === 1) throw new Error('chunk missing');
      return { default: greet };
    });
    await assert.rejects(tool.ready(), /chunk missing/);
    await tool.ready();
    assert.equal(attempts, 2);
  });

  it('refuses a module that changed since the index was generated, rather than serve two schemas', async () => {
    const edited = defineTool({ ...greetSpec(), input: z.object({ name: z.string(), formal: z.boolean() }) });
    const { tool } = lazyGreet(async () => ({ default: edited }));
    await assert.rejects(tool.ready(), /greet changed since its index was generated: run `npm run tools:index`/);
    assert.throws(() => tool.validate({ name: 'Ada' }), /before its module is loaded/);
  });
});

function greetSpec() {
  return {
    name: 'greet',
    description: 'Says hello to a person by name.',
    input: z.object({ name: z.string() }),
    run: async ({ name }: { name: string }) => `Hello, ${name}!`,
  };
}
