import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_missing_capability',
  description: 'Conformance fixture: needs the sampling client capability; a 2026-07-28 client without it gets -32021.',
  input: z.object({}),
  clientCapabilities: { sampling: {} },
  annotations: { readOnlyHint: true },
  run: async () => 'Success',
});
