import type { Logger } from '../logging/logger.js';
import type { TableRef } from '../store/items.js';
import { createTenantStore, type TenantItem } from '../store/tenants.js';
import { createToolManifestStore, type ToolManifest } from '../store/tool-manifests.js';

export interface ManifestStore {
  /** Every manifest, keyed by its key (a tool's name, `@<tenant>/<name>`, `resource:<name>`, `prompt:<name>`). */
  loadAll(): Promise<Map<string, ToolManifest>>;
  /** Every tenant's policy, by tenant id; without it, no tenant has one. */
  loadTenants?(): Promise<Map<string, TenantItem>>;
}

/** Reads all manifests with one (paginated) strongly consistent Query; malformed items are logged and skipped. */
export function createManifestStore(options: TableRef & { logger: Logger }): ManifestStore {
  const store = createToolManifestStore(options);
  const tenants = createTenantStore(options);
  const onMalformed = (tool: string, issues: unknown) =>
    options.logger.warn('skipping malformed tool manifest', { tool, issues });
  return {
    loadAll: () => store.readAll({ onMalformed }),
    loadTenants: () =>
      tenants.readAll({
        onMalformed: (tenant, issues) => options.logger.warn('skipping malformed tenant item', { tenant, issues }),
      }),
  };
}
