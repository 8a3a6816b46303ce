import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_logging_tool',
  description: 'Conformance fixture: sends no log notification unless the request asks for a log level.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async () => 'Logging tool executed.',
});
