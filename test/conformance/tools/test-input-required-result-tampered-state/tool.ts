import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_input_required_result_tampered_state',
  description: 'Conformance fixture: asks for a confirmation; a changed requestState is refused.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async (_args, ctx) => {
    await ctx.elicit({
      key: 'confirm',
      message: 'Please confirm',
      requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
    });
    return 'Confirmed.';
  },
});
