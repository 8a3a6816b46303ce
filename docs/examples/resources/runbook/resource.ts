import { defineResource, ToolError } from 'mcp-cluster/tools';

const RUNBOOKS: Record<string, string> = {
  checkout:
    '# Checkout\n\n1. Check the payment provider status page.\n2. Roll back the last deploy if errors rose after it.',
  search: '# Search\n\n1. Check the index lag dashboard.\n2. Restart the indexer if it is stuck.',
};

export default defineResource({
  name: 'runbook',
  title: 'Service runbook',
  description: 'The on-call runbook of one service, as Markdown: what to check first and how to recover.',
  uriTemplate: 'runbook://{service}',
  mimeType: 'text/markdown',
  scopes: ['ops:read'],
  complete: { service: Object.keys(RUNBOOKS) },
  async read({ variables }) {
    const runbook = RUNBOOKS[variables.service!];
    if (!runbook) throw new ToolError('RESOURCE_NOT_FOUND', `No runbook for "${variables.service}".`);
    return runbook;
  },
});
