import type { FolderToolDefinition, ToolDefinition } from './define-tool.js';
import { toolNameForFolder } from './naming.js';

/** Checks the discovered modules once at cold start: each folder exports a tool whose name follows the folder. */
export function loadCodeTools(modules: readonly { folder: string; tool: ToolDefinition }[]): FolderToolDefinition[] {
  const problems: string[] = [];
  for (const { folder, tool } of modules) {
    if (tool?.kind !== 'code')
      problems.push(`functions/tools/${folder}/tool.ts must "export default defineTool({...})"`);
    else if (tool.name !== toolNameForFolder(folder)) {
      problems.push(
        `functions/tools/${folder}/tool.ts declares "${tool.name}"; the folder requires "${toolNameForFolder(folder)}"`,
      );
    }
  }
  if (problems.length) throw new Error(`Invalid tools:\n  ${problems.join('\n  ')}`);
  return modules.map((m) => m.tool as FolderToolDefinition);
}
