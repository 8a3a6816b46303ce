import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';
import { RED_PIXEL_PNG } from '../fixture-content.js';

export default defineTool({
  name: 'test_multiple_content_types',
  description: 'Conformance fixture: returns text, an image and an embedded resource in one result.',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async () => [
    { type: 'text', text: 'Multiple content types test:' },
    { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' },
    {
      type: 'resource',
      resource: {
        uri: 'test://mixed-content-resource',
        mimeType: 'application/json',
        text: JSON.stringify({ test: 'data', value: 123 }),
      },
    },
  ],
});
