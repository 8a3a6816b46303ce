import { createHash } from 'node:crypto';
import type { TableRef } from '../store/items.js';
import { createToolManifestStore } from '../store/tool-manifests.js';
import type { PromptDefinition } from '../tools/define-prompt.js';
import type { ResourceDefinition } from '../tools/define-resource.js';
import type { ToolDefinition } from '../tools/define-tool.js';
import { promptMetadata, resourceMetadata } from '../tools/lazy-items.js';
import { itemManifestKey } from './snapshot.js';

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

/** The digest of what code owns about a tool, resource or prompt: it changes whenever a deploy changes them. */
const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);

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
  return digest(owned);
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
  items: { resources?: readonly ResourceDefinition[]; prompts?: readonly PromptDefinition[] } = {},
): Promise<SyncResult> {
  const store = createToolManifestStore(options);
  const result: SyncResult = { created: [], updated: [], unchanged: [], removed: [], shadowed: [] };
  const sources = await store.readSources();
  const existing = new Set([...sources].filter(([, source]) => source === 'code').map(([name]) => name));

  // Resources and prompts have manifests beside the tools', keyed `resource:<name>` and `prompt:<name>`.
  const records = [
    ...tools.map((tool) => ({
      key: tool.name,
      hash: codeHash(tool),
      scopes: tool.scopes,
      description: tool.description,
    })),
    ...(items.resources ?? []).map((resource) => ({
      key: itemManifestKey('resource', resource.name),
      hash: digest(resourceMetadata(resource)),
      scopes: resource.scopes,
      description: resource.description,
    })),
    ...(items.prompts ?? []).map((prompt) => ({
      key: itemManifestKey('prompt', prompt.name),
      hash: digest(promptMetadata(prompt)),
      scopes: prompt.scopes,
      description: prompt.description,
    })),
  ];
  for (const record of records) {
    const written = await store.putCode(
      { name: record.key, codeHash: record.hash, defaultScopes: record.scopes, defaultDescription: record.description },
      now,
    );
    if (written) (existing.has(record.key) ? result.updated : result.created).push(record.key);
    else {
      const source = sources.get(record.key);
      (source !== undefined && source !== 'code' ? result.shadowed : result.unchanged).push(record.key);
    }
  }

  // Only the kinds synced here are pruned: a sync that was given no resources leaves resource manifests alone.
  const synced = (key: string) =>
    key.startsWith('resource:')
      ? items.resources !== undefined
      : key.startsWith('prompt:')
        ? items.prompts !== undefined
        : true;
  const keys = new Set(records.map((record) => record.key));
  for (const key of existing) {
    if (!keys.has(key) && synced(key) && (await store.deleteCode(key))) result.removed.push(key);
  }
  return result;
}
