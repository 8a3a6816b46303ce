import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_input_required_result_request_state',
  description: 'Conformance fixture: asks for a confirmation (confirm), and resumes from the sealed requestState.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async (_args, ctx) => {
    const answer = await ctx.elicit({
      key: 'confirm',
      message: 'Please confirm',
      requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
    });
    return `state-ok: confirmed ${answer.content?.ok === true}`;
  },
});
