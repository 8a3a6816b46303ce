import type { Logger } from '../logging/logger.js';
import type { TableRef } from '../store/items.js';
import { createToolManifestStore, type ToolManifest } from '../store/tool-manifests.js';

export interface ManifestStore {
  /** Every tool manifest, keyed by tool name. */
  loadAll(): Promise<Map<string, ToolManifest>>;
}

/** Reads all manifests with one (paginated) strongly consistent Query; malformed items are logged and skipped. */
export function createManifestStore(options: TableRef & { logger: Logger }): ManifestStore {
  const store = createToolManifestStore(options);
  const onMalformed = (tool: string, issues: unknown) =>
    options.logger.warn('skipping malformed tool manifest', { tool, issues });
  return { loadAll: () => store.readAll({ onMalformed }) };
}
