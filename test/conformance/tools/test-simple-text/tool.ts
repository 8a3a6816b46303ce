import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_simple_text',
  description: 'Conformance fixture: returns one text block.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async () => 'This is a simple text response for testing.',
});
