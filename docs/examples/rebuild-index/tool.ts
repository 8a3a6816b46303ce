import { setTimeout as sleep } from 'node:timers/promises';
import { defineTool, ToolError } from 'mcp-cluster/tools';
import { z } from 'zod';

export default defineTool({
  name: 'rebuild_index',
  title: 'Rebuild a search index',
  description:
    'Rebuilds the search index of a collection, shard by shard (searches are slower meanwhile). Clients that can ask ' +
    'their user are asked to confirm first; NOT_CONFIRMED means the user did not, and nothing was rebuilt.',
  input: z.object({
    collection: z.string().min(1).describe('The collection whose index to rebuild, e.g. "articles".'),
    shards: z.number().int().min(1).max(20).default(4).describe('How many shards the index has.'),
  }),
  output: z.object({ collection: z.string(), shards: z.number() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  timeoutMs: 120_000, // past the JSON answer's 28 s only when the call is streamed
  async run({ collection, shards }, ctx) {
    // Ask before doing anything: after the answer, the call runs again from the start (on any instance).
    if (ctx.canAsk('elicitation')) {
      const answer = await ctx.elicit({
        key: 'confirm_rebuild',
        message: `Rebuild the ${collection} index (${shards} shards)? Searches are slower until it is done.`,
        requestedSchema: {
          type: 'object',
          properties: { confirm: { type: 'boolean', title: 'Rebuild the index' } },
          required: ['confirm'],
        },
      });
      if (answer.action !== 'accept' || answer.content?.confirm !== true) {
        throw new ToolError('NOT_CONFIRMED', `The user did not confirm rebuilding ${collection}; nothing was rebuilt.`);
      }
    }
    for (let shard = 1; shard <= shards; shard++) {
      await sleep(20, undefined, { signal: ctx.signal }); // the real work goes here; it stops at the deadline
      ctx.progress(shard, shards, `Shard ${shard} of ${shards} rebuilt`);
      ctx.log('info', `Shard ${shard} of ${collection} rebuilt`, { shard });
    }
    return { collection, shards };
  },
});
