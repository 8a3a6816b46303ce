import { defineResource } from 'mcp-cluster/tools';

/** The service's own tool catalogue: what the caller may call here, as a document a person or a model can read. */
export default defineResource({
  name: 'tool_catalog',
  title: 'Tool catalogue',
  description:
    'The tools you may call on this server, as Markdown: what each does, the scopes it needs and how it behaves ' +
    '(read-only, destructive, idempotent). It shows exactly what your tools/list shows, so it differs per caller.',
  uri: 'mcp-cluster://catalog/tools',
  mimeType: 'text/markdown',
  annotations: { audience: ['user', 'assistant'], priority: 0.4 },
  async read(_request, ctx) {
    const tools = ctx.catalog();
    const hints = (annotations: Record<string, unknown> | undefined) =>
      [
        annotations?.readOnlyHint ? 'read-only' : undefined,
        annotations?.destructiveHint ? 'destructive' : undefined,
        annotations?.idempotentHint ? 'idempotent' : undefined,
        annotations?.openWorldHint ? 'calls external services' : undefined,
      ].filter(Boolean);
    const sections = tools.map((tool) => {
      const behaviour = hints(tool.annotations);
      return [
        `## ${tool.title ? `${tool.title} (\`${tool.name}\`)` : `\`${tool.name}\``}`,
        '',
        tool.description,
        '',
        `- scopes: ${tool.scopes.length ? tool.scopes.map((scope) => `\`${scope}\``).join(', ') : 'none'}`,
        ...(behaviour.length ? [`- behaviour: ${behaviour.join(', ')}`] : []),
      ].join('\n');
    });
    return [`# Tools you may call (${tools.length})`, '', ...sections].join('\n\n');
  },
});
