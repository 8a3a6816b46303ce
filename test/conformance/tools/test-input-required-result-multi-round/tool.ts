import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_input_required_result_multi_round',
  description: 'Conformance fixture: asks for a name (step1), then a favourite colour (step2), one round each.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async (_args, ctx) => {
    const name = await ctx.elicit({
      key: 'step1',
      message: 'Step 1: What is your name?',
      requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    });
    const color = await ctx.elicit({
      key: 'step2',
      message: 'Step 2: What is your favorite color?',
      requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] },
    });
    return `${String(name.content?.name)} likes ${String(color.content?.color)}.`;
  },
});
