import { definePrompt } from 'mcp-cluster/tools';

export default definePrompt({
  name: 'test_prompt_with_embedded_resource',
  description: 'Conformance fixture: a prompt that embeds the resource it is given.',
  arguments: { resourceUri: { description: 'URI of the resource to embed', required: true } },
  get: async ({ resourceUri }) => [
    {
      role: 'user',
      content: {
        type: 'resource',
        resource: { uri: resourceUri!, mimeType: 'text/plain', text: 'Embedded resource content for testing.' },
      },
    },
    { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
  ],
});
