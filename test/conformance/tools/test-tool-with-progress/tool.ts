import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export default defineTool({
  name: 'test_tool_with_progress',
  description: 'Conformance fixture: reports progress 0/100, 50/100 and 100/100, about 50 ms apart.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async (_args, ctx) => {
    ctx.progress(0, 100);
    await pause(50);
    ctx.progress(50, 100);
    await pause(50);
    ctx.progress(100, 100);
    return 'Progress tool executed.';
  },
});
