import { hasScopes, type Principal } from '../auth/principal.js';
import type { ToolDefinition } from '../tools/define-tool.js';
import type { RateLimit, ToolManifest } from './table.js';

/** A tool as served right now: the code's schema and behaviour joined with the manifest's policy. */
export interface ServedTool {
  readonly name: string;
  readonly definition: ToolDefinition;
  readonly enabled: boolean;
  readonly description: string;
  readonly scopes: readonly string[];
  /** binding name → secret name (without the prefix). */
  readonly secrets: Readonly<Record<string, string>>;
  readonly version: number;
  /** Calls per agent per window, from the manifest. */
  readonly rateLimit?: RateLimit;
  /** This tool's entry in `tools/list`, serialized once per snapshot. */
  readonly listingJson: string;
}

/**
 * One immutable view of the registry. `tools/list` answers are computed once per snapshot and scope set,
 * so a request costs the same whatever the number of tools.
 */
export class RegistrySnapshot {
  readonly loadedAt: number;
  readonly #tools: ReadonlyMap<string, ServedTool>;
  readonly #listings = new Map<string, string>();

  constructor(tools: Iterable<ServedTool>, loadedAt: number) {
    this.#tools = new Map([...tools].map((tool) => [tool.name, tool]));
    this.loadedAt = loadedAt;
  }

  get size(): number {
    return this.#tools.size;
  }

  /** Whether an enabled tool of this name exists, whoever asks (for the audit trail only: never tell a caller). */
  has(name: string): boolean {
    return this.#tools.get(name)?.enabled === true;
  }

  /** The tool if `principal` may call it; `undefined` for unknown, disabled and not-permitted alike (no enumeration). */
  callable(name: string, principal: Pick<Principal, 'scopes'>): ServedTool | undefined {
    const tool = this.#tools.get(name);
    if (!tool?.enabled || !hasScopes(principal, tool.scopes)) return undefined;
    return tool;
  }

  /** The `tools/list` result for this principal's scopes, as JSON text: `{"tools":[...]}`. */
  listingFor(principal: Pick<Principal, 'scopes'>): string {
    const key = principal.scopes.includes('*') ? '*' : [...principal.scopes].sort().join(' ');
    let listing = this.#listings.get(key);
    if (listing === undefined) {
      const entries: string[] = [];
      for (const tool of this.#tools.values()) {
        if (tool.enabled && hasScopes(principal, tool.scopes)) entries.push(tool.listingJson);
      }
      listing = `{"tools":[${entries.join(',')}]}`;
      if (this.#listings.size >= 1_000) this.#listings.clear(); // bound memory under many distinct scope sets
      this.#listings.set(key, listing);
    }
    return listing;
  }

  tools(): IterableIterator<ServedTool> {
    return this.#tools.values();
  }
}

function listingEntry(definition: ToolDefinition, description: string): string {
  return JSON.stringify({
    name: definition.name,
    ...(definition.title ? { title: definition.title } : {}),
    description,
    inputSchema: definition.inputJsonSchema,
    ...(definition.outputJsonSchema ? { outputSchema: definition.outputJsonSchema } : {}),
    ...(definition.annotations ? { annotations: definition.annotations } : {}),
  });
}

/** Joins the code tools with their manifests. A code tool with no manifest yet is served with the code's defaults. */
export function buildSnapshot(
  codeTools: readonly ToolDefinition[],
  manifests: ReadonlyMap<string, ToolManifest>,
  loadedAt: number,
): RegistrySnapshot {
  const served = codeTools.map((definition): ServedTool => {
    const manifest = manifests.get(definition.name);
    const description = manifest?.description ?? definition.description;
    const secrets = { ...definition.secrets };
    for (const [binding, secretName] of Object.entries(manifest?.secrets ?? {})) {
      if (binding in secrets) secrets[binding] = secretName;
    }
    return {
      name: definition.name,
      definition,
      enabled: manifest?.enabled ?? true,
      description,
      scopes: manifest?.scopes ?? definition.scopes,
      secrets,
      version: manifest?.version ?? 0,
      ...(manifest?.rateLimit ? { rateLimit: manifest.rateLimit } : {}),
      listingJson: listingEntry(definition, description),
    };
  });
  return new RegistrySnapshot(served, loadedAt);
}
