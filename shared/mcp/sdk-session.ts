import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { type CallToolRequest, CallToolRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { RequestTransport } from './request-transport.js';

// The server never validates client-side JSON Schemas (no elicitation), so one shared no-op validator spares
// building a JSON Schema compiler per request.
const noSchemaValidation: jsonSchemaValidator = {
  getValidator: () => (input) => ({ valid: true, data: input as never, errorMessage: undefined }),
};

export interface SdkSessionOptions {
  serverInfo: { name: string; version: string };
  instructions?: string;
  /** Answers one `tools/call`; `signal` aborts when the client cancels it. */
  callTool(params: CallToolRequest['params'], signal: AbortSignal): Promise<CallToolResult>;
}

/**
 * One MCP SDK server for one HTTP request, connected to a transport that exchanges that request's messages. It holds
 * no tool state, so its cost does not grow with the registry. This module (the SDK's server and its protocol schemas
 * with it) is loaded with the first request that needs the SDK; `tools/list` is answered without it.
 */
export async function openSdkSession(options: SdkSessionOptions): Promise<RequestTransport> {
  const server = new Server(options.serverInfo, {
    capabilities: { tools: { listChanged: false } },
    ...(options.instructions ? { instructions: options.instructions } : {}),
    jsonSchemaValidator: noSchemaValidation,
  });
  server.setRequestHandler(CallToolRequestSchema, (call, extra) => options.callTool(call.params, extra.signal));
  const transport = new RequestTransport();
  await server.connect(transport);
  return transport;
}
