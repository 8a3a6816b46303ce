import { defineResource } from 'mcp-cluster/tools';
import { RED_PIXEL_PNG } from '../../tools/fixture-content.js';

export default defineResource({
  name: 'static_binary',
  description: 'Conformance fixture: a static binary resource (a PNG).',
  uri: 'test://static-binary',
  mimeType: 'image/png',
  read: async () => ({ blob: RED_PIXEL_PNG }),
});
