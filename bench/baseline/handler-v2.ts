import { type CallToolResult, createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { z } from 'zod';
import { type SyntheticTool, syntheticTools, toolCountFromEnv } from '../lib/synthetic-tools.js';
import { toProxyResult, toRequest } from './proxy-bridge.js';

/**
 * THE v2 BASELINE: the MCP TypeScript SDK v2's own stateless recipe (`@modelcontextprotocol/server`'s
 * `createMcpHandler` with a server factory) as a Lambda handler. One endpoint, both eras: a 2026-07-28 request (its
 * `_meta` names the version) is served by the modern leg, anything else (`initialize`, 2025-11-25 and older) by the
 * default `legacy: 'stateless'` leg. The factory runs once per request, for either era: a new `McpServer` with every
 * tool registered through `registerTool`. The tools' zod objects are built once, at import, as the SDK's docs advise
 * (the factory should be cheap; `z.object`, since the raw-shape form is deprecated in v2). `responseMode: 'json'`:
 * the modern leg answers `application/json`; the legacy leg answers `text/event-stream` whatever the mode. No
 * authentication, no registry, no audit. Same synthetic tools and results as ours and the 1.x baseline.
 *
 * The event's body, a string already, is handed to `fetch` parsed (its documented `parsedBody` option). Without it
 * `createMcpHandler` clones the `Request` to read the body, and on Node 20 (undici 6.24) a cloned request's signal is
 * never released: the legacy leg's teardown listener on it then keeps every request's whole `McpServer` alive
 * (~1.6 MB a request at 1,000 tools; the modern leg ~1 KB), so the heap grows without bound.
 */
const tools = syntheticTools(toolCountFromEnv()).map((tool) => ({
  tool,
  input: z.object(tool.input),
  output: tool.output ? z.object(tool.output) : undefined,
}));

async function callBack(tool: SyntheticTool, args: Record<string, unknown>): Promise<CallToolResult> {
  const value = await tool.run(args);
  return typeof value === 'string'
    ? { content: [{ type: 'text', text: value }] }
    : { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'sdk-v2-stateless-baseline', version: '1.0.0' });
  for (const { tool, input, output } of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: input,
        ...(output ? { outputSchema: output } : {}),
        annotations: tool.annotations,
      },
      (args: Record<string, unknown>) => callBack(tool, args),
    );
  }
  return server;
}

// Once per container; the factory (`buildServer`) runs per request.
const mcp = createMcpHandler(buildServer, { responseMode: 'json', legacy: 'stateless' });

/** The body as JSON, or undefined (the SDK then reads it, and answers a body that is not JSON with -32700). */
function parsedBody(event: APIGatewayProxyEvent): unknown {
  if (event.body == null || event.isBase64Encoded) return undefined;
  try {
    return JSON.parse(event.body);
  } catch {
    return undefined;
  }
}

export async function handler(event: APIGatewayProxyEvent, _context: Context): Promise<APIGatewayProxyResult> {
  return toProxyResult(await mcp.fetch(toRequest(event), { parsedBody: parsedBody(event) }));
}
