import { z } from 'zod';
import { defineTool, type ToolDefinition } from '../../shared/tools/define-tool.js';
import { folderForToolName } from '../../shared/tools/naming.js';
import { type SyntheticTool, syntheticTools, toolCountFromEnv } from '../lib/synthetic-tools.js';

/** A synthetic tool as a code tool: exactly what `export default defineTool({...})` in a tool folder produces. */
export function toToolDefinition(tool: SyntheticTool): ToolDefinition {
  return defineTool({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    input: z.object(tool.input),
    ...(tool.output ? { output: z.object(tool.output) } : {}),
    annotations: tool.annotations,
    ...(tool.secrets ? { secrets: tool.secrets } : {}),
    run: tool.run as never,
  });
}

export function syntheticToolModules(count: number): { folder: string; tool: ToolDefinition }[] {
  return syntheticTools(count).map((tool) => ({ folder: folderForToolName(tool.name), tool: toToolDefinition(tool) }));
}

/**
 * Stands in for `functions/tools/index.generated.ts` in the bench's build of the MCP handler: the same export, with
 * `BENCH_TOOLS` synthetic tools (read once, at import) instead of the tool folders.
 */
export const toolModules: readonly { folder: string; tool: ToolDefinition }[] = syntheticToolModules(
  toolCountFromEnv(),
);
