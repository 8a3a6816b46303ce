import type { CallToolResult, ClientCapabilities } from '@modelcontextprotocol/server';
import type {
  ArgumentValidation,
  CodeToolDefinition,
  LazyCodeToolDefinition,
  ToolAnnotations,
  ToolContext,
  ToolDefinition,
  ToolIdempotency,
} from './define-tool.js';
import { moduleLoader } from './lazy-items.js';

/** What the platform knows of a folder tool without its module: everything `tools/list` and the registry use. */
export interface CodeToolMetadata {
  name: string;
  title?: string;
  description: string;
  inputJsonSchema: Record<string, unknown>;
  outputJsonSchema?: Record<string, unknown>;
  annotations?: ToolAnnotations;
  scopes: readonly string[];
  secrets: Readonly<Record<string, string>>;
  timeoutMs?: number;
  auditArguments: boolean;
  idempotency?: ToolIdempotency;
  clientCapabilities?: ClientCapabilities;
}

/** A tool's metadata as plain data (what the Lambda bundles carry from the build). */
export function codeToolMetadata(tool: ToolDefinition): CodeToolMetadata {
  return JSON.parse(
    JSON.stringify({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputJsonSchema: tool.inputJsonSchema,
      outputJsonSchema: tool.outputJsonSchema,
      annotations: tool.annotations,
      scopes: tool.scopes,
      secrets: tool.secrets,
      timeoutMs: tool.timeoutMs,
      auditArguments: tool.auditArguments,
      idempotency: tool.idempotency,
      clientCapabilities: tool.clientCapabilities,
    }),
  ) as CodeToolMetadata;
}

/**
 * A folder tool served from its metadata, its module loaded on the first call (`ready`). The generated tool index
 * (infra/build/tool-index.ts) serves every folder tool so, in tests, `npm start` and Lambda alike; in a bundle each
 * module is a chunk of its own: a cold start evaluates none of them, whatever their number, and a call loads only
 * its own tool.
 */
export function lazyCodeTool(
  metadata: CodeToolMetadata,
  load: () => Promise<{ default: ToolDefinition }>,
): LazyCodeToolDefinition {
  let loaded: CodeToolDefinition | undefined;
  const module = moduleLoader(
    {
      label: 'tool',
      define: 'defineTool',
      is: (definition): definition is CodeToolDefinition =>
        (definition as { kind?: unknown } | null)?.kind === 'code' && 'input' in (definition as object),
    },
    metadata,
    codeToolMetadata,
    load,
  );
  const tool = (): CodeToolDefinition => {
    if (!loaded) throw new Error(`tool ${metadata.name} is used before its module is loaded (call ready() first)`);
    return loaded;
  };
  return Object.freeze({
    kind: 'code' as const,
    ...metadata,
    async ready() {
      const definition = await module();
      await definition.ready?.();
      loaded = definition;
    },
    validate: (args: unknown): ArgumentValidation => tool().validate(args),
    run: (args: unknown, ctx: ToolContext): Promise<unknown> => tool().run(args, ctx),
    toResult: (value: unknown): CallToolResult => tool().toResult(value),
  });
}
