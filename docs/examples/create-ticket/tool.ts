import { defineTool, isAbort, parseHttpCredential, ToolError } from 'mcp-cluster/tools';
import { z } from 'zod';

export default defineTool({
  name: 'create_ticket',
  description: 'Opens a support ticket and returns its id. Each call opens a new ticket.',
  input: z.object({ title: z.string().min(3), body: z.string().min(1) }),
  annotations: { readOnlyHint: false, idempotentHint: false },
  idempotency: { ttl: 86_400 }, // replay a keyed call for a day
  secrets: { ticketing: 'ticketing-api' },
  async run({ title, body }, ctx) {
    const { baseUrl, apiKey } = parseHttpCredential(ctx.secrets.ticketing, {
      service: 'ticketing',
      defaultBaseUrl: 'https://tickets.example.com/api',
    });
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/tickets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title, body }),
        signal: ctx.signal,
      });
    } catch (error) {
      if (isAbort(error, ctx.signal)) throw error;
      // The request may have reached the API: do not let a retry open a second ticket.
      throw new ToolError('UPSTREAM_FAILED', 'The ticket may have been opened; check before opening it again.', {
        mayHaveTakenEffect: true,
      });
    }
    if (!response.ok) {
      throw new ToolError('UPSTREAM_REJECTED', `The ticketing API answered HTTP ${response.status}.`, {
        retryable: response.status >= 500,
      });
    }
    const { id } = (await response.json()) as { id: string };
    return `Opened ticket ${id}.`;
  },
});
