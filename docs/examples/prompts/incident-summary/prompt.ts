import { definePrompt } from 'mcp-cluster/tools';

export default definePrompt({
  name: 'incident_summary',
  title: 'Summarize an incident',
  description: 'Starts an incident summary for a service: its runbook, embedded, and what the summary must say.',
  arguments: {
    service: {
      description: 'The affected service, e.g. "checkout".',
      required: true,
      complete: ['checkout', 'search'],
    },
    impact: { description: 'What users saw, in a sentence.' },
  },
  scopes: ['ops:read'],
  async get({ service, impact }) {
    return [
      { role: 'user', content: { type: 'resource_link', uri: `runbook://${service}`, name: 'runbook' } },
      {
        role: 'user',
        content: {
          type: 'text',
          text:
            `Write a short incident summary for ${service}${impact ? ` (impact: ${impact})` : ''}: what happened, ` +
            'which runbook steps were taken, and what is left to do. Read the runbook linked above first.',
        },
      },
    ];
  },
});
