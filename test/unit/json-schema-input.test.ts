import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineTool, jsonSchemaInput } from '../../shared/tools/define-tool.js';

describe('a tool input given as JSON Schema', () => {
  it('must describe an object', () => {
    assert.throws(() => jsonSchemaInput({ type: 'array' }), /type "object"/);
  });

  it('is checked in the dialect it declares: 2020-12 by default, 2019-09 or draft-07 when it says so', async () => {
    const tupleOf = (schema: Record<string, unknown>) =>
      defineTool({
        name: 'pair',
        description: 'Takes a pair.',
        input: jsonSchemaInput({ ...schema, type: 'object', properties: { pair: schema.pair }, required: ['pair'] }),
        run: async () => 'ok',
      });
    // draft-07 tuples are `items: [...]`; 2020-12 ones are `prefixItems`.
    const draft07 = tupleOf({
      $schema: 'http://json-schema.org/draft-07/schema#',
      pair: { type: 'array', items: [{ type: 'string' }, { type: 'number' }], additionalItems: false },
    });
    await draft07.ready!();
    assert.equal(draft07.validate({ pair: ['a', 1] }).success, true);
    assert.equal(draft07.validate({ pair: [1, 'a'] }).success, false);
    const modern = tupleOf({
      pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false },
    });
    await modern.ready!();
    assert.equal(modern.validate({ pair: ['a', 1] }).success, true);
    assert.equal(modern.validate({ pair: ['a', 1, 2] }).success, false);
  });

  it('names the supported dialects when it declares another, when the tool is loaded', async () => {
    const tool = defineTool({
      name: 'old',
      description: 'Declares draft-04.',
      input: jsonSchemaInput({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' }),
      run: async () => 'never',
    });
    await assert.rejects(
      tool.ready!(),
      /dialect "http:\/\/json-schema.org\/draft-04\/schema#" is not supported; declare one of/,
    );
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
