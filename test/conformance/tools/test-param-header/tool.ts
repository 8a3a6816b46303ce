import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_param_header',
  description: 'Conformance fixture: its "region" argument is mirrored by clients into the Mcp-Param-Region header.',
  input: z.object({
    region: z
      .string()
      .describe('A region; clients send it as Mcp-Param-Region too.')
      .meta({ 'x-mcp-header': 'Region' }),
    query: z.string().optional().describe('Anything.'),
  }),
  annotations: { readOnlyHint: true },
  run: async ({ region }) => `region ${region}`,
});
