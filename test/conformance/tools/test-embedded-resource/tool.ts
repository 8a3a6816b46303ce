import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';

export default defineTool({
  name: 'test_embedded_resource',
  description: 'Conformance fixture: returns one embedded text resource.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async () => [
    {
      type: 'resource',
      resource: {
        uri: 'test://embedded-resource',
        mimeType: 'text/plain',
        text: 'This is an embedded resource content.',
      },
    },
  ],
});
