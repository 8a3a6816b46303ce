import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';
import { RED_PIXEL_PNG } from '../fixture-content.js';

export default defineTool({
  name: 'test_image_content',
  description: 'Conformance fixture: returns one image block (a 1×1 red PNG).',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async () => [{ type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' }],
});
