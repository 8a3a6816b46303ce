import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_streaming_elicitation',
  description: 'Conformance fixture: answers without sending the client any request on the response stream.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async () => 'Completed without a server-to-client request.',
});
