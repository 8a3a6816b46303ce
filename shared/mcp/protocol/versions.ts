/**
 * The MCP protocol versions the endpoint serves. Modern versions (2026-07-28 and later) carry the version on every
 * request; legacy versions (2025-11-25 and earlier) are negotiated by `initialize`. The legacy list is the MCP SDK's
 * own (a test keeps them equal), kept here so that classifying a request loads no SDK code.
 */
export const MODERN_PROTOCOL_VERSIONS: readonly string[] = ['2026-07-28'];

export const LEGACY_PROTOCOL_VERSIONS: readonly string[] = [
  '2025-11-25',
  '2025-06-18',
  '2025-03-26',
  '2024-11-05',
  '2024-10-07',
];

/** Every version served, newest first: what `server/discover` and an unsupported-version error list. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [
  ...MODERN_PROTOCOL_VERSIONS,
  ...LEGACY_PROTOCOL_VERSIONS,
];

/** What `initialize` answers a client asking for a version the legacy era does not have (2026-07-28 included). */
export const LATEST_LEGACY_PROTOCOL_VERSION = LEGACY_PROTOCOL_VERSIONS[0]!;

export function isLegacyProtocolVersion(version: string): boolean {
  return LEGACY_PROTOCOL_VERSIONS.includes(version);
}

/**
 * JSON-RPC batches are part of protocol versions before 2025-06-18 only. A request without `MCP-Protocol-Version`
 * comes from a client older than the header (2025-03-26 at most), which may batch.
 */
export function allowsBatches(version: string | undefined): boolean {
  return version === undefined || version < '2025-06-18';
}
