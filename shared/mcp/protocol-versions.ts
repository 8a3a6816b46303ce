/**
 * The MCP protocol versions the endpoint accepts in `MCP-Protocol-Version`: the MCP SDK's own list (a test checks
 * they are the same), kept here so that checking a request's header does not load the SDK's protocol schemas.
 */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [
  '2025-11-25',
  '2025-06-18',
  '2025-03-26',
  '2024-11-05',
  '2024-10-07',
];
