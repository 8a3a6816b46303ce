import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type SyntheticTool, syntheticTools, toolCountFromEnv } from '../lib/synthetic-tools.js';
import { toProxyResult, toRequest } from './proxy-bridge.js';

/**
 * THE 1.x BASELINE: the MCP TypeScript SDK 1.x's documented stateless recipe (`simpleStatelessStreamableHttp`,
 * `honoWebStandardStreamableHttp`) as a Lambda handler. Per request: a new `McpServer` with every tool registered
 * through `registerTool` (zod shapes), a new `WebStandardStreamableHTTPServerTransport` in stateless JSON mode,
 * `connect`, `handleRequest`, close. No authentication, no registry, no audit. Same synthetic tools as ours.
 */
const tools = syntheticTools(toolCountFromEnv());

async function callBack(tool: SyntheticTool, args: Record<string, unknown>): Promise<CallToolResult> {
  const value = await tool.run(args);
  return typeof value === 'string'
    ? { content: [{ type: 'text', text: value }] }
    : { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

function getServer(): McpServer {
  const server = new McpServer({ name: 'sdk-stateless-baseline', version: '1.0.0' });
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        ...(tool.output ? { outputSchema: tool.output } : {}),
        annotations: tool.annotations,
      },
      (args: Record<string, unknown>) => callBack(tool, args),
    );
  }
  return server;
}

export async function handler(event: APIGatewayProxyEvent, _context: Context): Promise<APIGatewayProxyResult> {
  const server = getServer();
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  try {
    await server.connect(transport);
    return await toProxyResult(await transport.handleRequest(toRequest(event)));
  } finally {
    await transport.close();
    await server.close();
  }
}
