import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export default defineTool({
  name: 'test_tool_with_logging',
  description: 'Conformance fixture: sends three info log messages, about 50 ms apart.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async (_args, ctx) => {
    ctx.log('info', 'Tool execution started');
    await pause(50);
    ctx.log('info', 'Tool processing data');
    await pause(50);
    ctx.log('info', 'Tool execution completed');
    return 'Logging tool executed.';
  },
});
