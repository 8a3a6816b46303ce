import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_input_required_result_capabilities',
  description: 'Conformance fixture: asks only for the kinds of input the client declared it can give.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async (_args, ctx) => {
    const asks: Promise<unknown>[] = [];
    if (ctx.canAsk('elicitation')) {
      asks.push(
        ctx.elicit({
          key: 'user_name',
          message: 'What is your name?',
          requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        }),
      );
    }
    if (ctx.canAsk('sampling')) {
      asks.push(
        ctx.sample({
          key: 'greeting',
          messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }],
          maxTokens: 50,
        }),
      );
    }
    await Promise.all(asks);
    return `Answered ${asks.length} request(s).`;
  },
});
