import { createHash } from 'node:crypto';
import type { TableRef } from '../store/items.js';
import { createToolManifestStore } from '../store/tool-manifests.js';
import type { ToolDefinition } from '../tools/define-tool.js';

export interface SyncResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  removed: string[];
  /**
   * Code tools whose name an HTTP tool's manifest already holds: the code tool is served (code wins) with its code's
   * defaults, and the HTTP tool is not, until one of them is renamed or the HTTP tool removed.
   */
  shadowed: string[];
}

/** Digest of everything the code owns about a tool; a deploy that changes any of it bumps the manifest's version. */
export function codeHash(tool: ToolDefinition): string {
  const owned = {
    title: tool.title,
    description: tool.description,
    input: tool.inputJsonSchema,
    output: tool.outputJsonSchema,
    annotations: tool.annotations,
    scopes: tool.scopes,
    secrets: tool.secrets,
    timeoutMs: tool.timeoutMs,
  };
  return createHash('sha256').update(JSON.stringify(owned)).digest('hex').slice(0, 32);
}

/**
 * Makes the registry's code-tool manifests match the code, idempotently. It writes only what code owns
 * (`source`, `codeHash`, `defaultScopes`, `defaultDescription`) and never the policy operators own (`enabled`,
 * `scopes`, `description`, `secrets`, rate limits), so a redeploy keeps their changes. Tools gone from code are deleted.
 * Manifests of other sources (`source: 'http'`) are never written or deleted, even when a code tool shares the name.
 */
export async function syncCodeManifests(
  options: TableRef,
  tools: readonly ToolDefinition[],
  now: Date = new Date(),
): Promise<SyncResult> {
  const store = createToolManifestStore(options);
  const result: SyncResult = { created: [], updated: [], unchanged: [], removed: [], shadowed: [] };
  const sources = await store.readSources();
  const existing = new Set([...sources].filter(([, source]) => source === 'code').map(([name]) => name));

  for (const tool of tools) {
    const written = await store.putCode(
      { name: tool.name, codeHash: codeHash(tool), defaultScopes: tool.scopes, defaultDescription: tool.description },
      now,
    );
    if (written) (existing.has(tool.name) ? result.updated : result.created).push(tool.name);
    else {
      const source = sources.get(tool.name);
      (source !== undefined && source !== 'code' ? result.shadowed : result.unchanged).push(tool.name);
    }
  }

  const names = new Set(tools.map((tool) => tool.name));
  for (const name of existing) {
    if (!names.has(name) && (await store.deleteCode(name))) result.removed.push(name);
  }
  return result;
}
