import { definePrompt } from 'mcp-cluster/tools';

export default definePrompt({
  name: 'test_simple_prompt',
  description: 'Conformance fixture: a prompt without arguments.',
  get: async () => 'This is a simple prompt for testing.',
});
