import { definePrompt } from 'mcp-cluster/tools';

export default definePrompt({
  name: 'test_prompt_with_arguments',
  description: 'Conformance fixture: a prompt with two required arguments, the first one completed from a list.',
  arguments: {
    arg1: { description: 'First test argument', required: true, complete: ['paris', 'park', 'party'] },
    arg2: { description: 'Second test argument', required: true },
  },
  get: async ({ arg1, arg2 }) => `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`,
});
