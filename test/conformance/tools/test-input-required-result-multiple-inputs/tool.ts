import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_input_required_result_multiple_inputs',
  description: 'Conformance fixture: asks for a name, a greeting from the model and the roots, all in one round.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async (_args, ctx) => {
    const [name, greeting, roots] = await Promise.all([
      ctx.elicit({
        key: 'user_name',
        message: 'What is your name?',
        requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      }),
      ctx.sample({
        key: 'greeting',
        messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }],
        maxTokens: 50,
      }),
      ctx.listRoots({ key: 'client_roots' }),
    ]);
    return `${String(greeting.content.text)} ${String(name.content?.name)}; ${roots.roots.length} root(s).`;
  },
});
