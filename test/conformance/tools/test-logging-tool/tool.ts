import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_logging_tool',
  description: 'Conformance fixture: logs at info, which is sent only when the request asks for a log level.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async (_args, ctx) => {
    ctx.log('info', 'Logging tool ran.');
    return 'Logging tool executed.';
  },
});
