import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_input_required_result_list_roots',
  description: "Conformance fixture: asks for the client's roots (client_roots), then lists them.",
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async (_args, ctx) => {
    const { roots } = await ctx.listRoots({ key: 'client_roots' });
    return `Roots: ${roots.map((root) => root.uri).join(', ')}`;
  },
});
