import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_input_required_result_elicitation',
  description: "Conformance fixture: asks the user's name through elicitation (user_name), then greets them.",
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async (_args, ctx) => {
    const answer = await ctx.elicit({
      key: 'user_name',
      message: 'What is your name?',
      requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    });
    return `Hello, ${String(answer.content?.name ?? 'stranger')} (${answer.action}).`;
  },
});
