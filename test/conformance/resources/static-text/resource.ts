import { defineResource } from 'mcp-cluster/tools';

export default defineResource({
  name: 'static_text',
  description: 'Conformance fixture: a static text resource.',
  uri: 'test://static-text',
  mimeType: 'text/plain',
  read: async () => 'This is the content of the static text resource.',
});
