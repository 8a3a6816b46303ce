import { definePrompt } from 'mcp-cluster/tools';
import { RED_PIXEL_PNG } from '../../tools/fixture-content.js';

export default definePrompt({
  name: 'test_prompt_with_image',
  description: 'Conformance fixture: a prompt with an image.',
  get: async () => [
    { role: 'user', content: { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' } },
    { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
  ],
});
