import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineTool, jsonSchemaInput } from '../../shared/tools/define-tool.js';

describe('a tool input given as JSON Schema', () => {
  it('must describe an object, in JSON Schema 2020-12', () => {
    assert.throws(() => jsonSchemaInput({ type: 'array' }), /type "object"/);
    assert.throws(
      () => jsonSchemaInput({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }),
      /must be JSON Schema 2020-12/,
    );
    jsonSchemaInput({ $schema: 'https://json-schema.org/draft/2020-12/schema#', type: 'object' });
  });

  it('fails to load when the schema does not compile, so it is never served', async () => {
    const tool = defineTool({
      name: 'broken',
      description: 'Has a schema that is not one.',
      input: jsonSchemaInput({ type: 'object', properties: { a: { type: 'no-such-type' } } }),
      run: async () => 'never',
    });
    await assert.rejects(tool.ready!(), /schema is invalid/);
  });

  it('is advertised as written and validates arguments once loaded', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'] };
    const tool = defineTool({
      name: 'count',
      description: 'Counts to n.',
      input: jsonSchemaInput<{ n: number }>(schema),
      run: async ({ n }) => String(n),
    });
    assert.deepEqual(tool.inputJsonSchema, schema);
    assert.throws(() => tool.validate({ n: 1 }), /before ready/);
    await tool.ready!();
    assert.deepEqual(tool.validate({ n: 2 }), { success: true, data: { n: 2 } });
    const refused = tool.validate({ n: 0 });
    assert.equal(refused.success, false);
    assert.deepEqual(!refused.success && refused.issues.map((issue) => issue.field), ['n']);
  });
});
