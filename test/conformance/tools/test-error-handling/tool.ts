import { z } from 'zod';
import { ToolError } from '../../../../shared/errors/errors.js';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_error_handling',
  description: 'Conformance fixture: always fails as a tool (an isError result, not a protocol error).',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async () => {
    throw new ToolError('INTENTIONAL_ERROR', 'This tool intentionally returns an error for testing');
  },
});
