/**
 * OURS for the in-process section: the real `functions/mcp/handler.ts`, unchanged, bundled by the bench with its tool
 * index (`functions/tools/index.generated.ts`) swapped for `./synthetic-tool-index.ts` (BENCH_TOOLS synthetic code
 * tools). Re-exporting the handler rather than copying its wiring means the bench always measures what ships:
 * configuration, AWS clients, authentication, the registry snapshot, audit and all.
 */
export { handler } from '../../functions/mcp/handler.js';
