import { hasScopes, type Principal } from '../auth/principal.js';
import type { IdempotencySettings, RateLimit } from '../store/items.js';
import type { ToolManifest } from '../store/tool-manifests.js';
import type { HttpToolDefinition, ToolDefinition } from '../tools/define-tool.js';

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
  /** Protection against duplicate calls, from the manifest (over the code's own). */
  readonly idempotency?: IdempotencySettings;
  /** This tool's entry in `tools/list`, serialized once per snapshot. */
  readonly listingJson: string;
}

/**
 * One immutable view of the registry. `tools/list` answers are computed once per snapshot and scope set,
 * so a request costs the same whatever the number of tools.
 */
interface Listing {
  /** Names of the visible tools, sorted: a cursor names the last tool of its page. */
  names: string[];
  entries: string[];
  /** Serialized pages by their first index. */
  pages: Map<number, string>;
}

export class RegistrySnapshot {
  readonly loadedAt: number;
  readonly #tools: ReadonlyMap<string, ServedTool>;
  readonly #listings = new Map<string, Listing>();

  constructor(tools: Iterable<ServedTool>, loadedAt: number) {
    const sorted = [...tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.#tools = new Map(sorted.map((tool) => [tool.name, tool]));
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

  /**
   * One page of the `tools/list` result for this principal's scopes, as JSON text: `{"tools":[...],"nextCursor":"..."}`.
   * Pages hold at most `pageSize` tools, so an answer costs the same whatever the size of the registry; each is
   * serialized once per snapshot and scope set. `undefined` when the cursor is not one this server issued.
   */
  listingFor(principal: Pick<Principal, 'scopes'>, options?: { pageSize?: number }): string;
  listingFor(principal: Pick<Principal, 'scopes'>, options: { pageSize?: number; cursor?: string }): string | undefined;
  listingFor(
    principal: Pick<Principal, 'scopes'>,
    options: { pageSize?: number; cursor?: string } = {},
  ): string | undefined {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const listing = this.#listing(principal);
    let start = 0;
    if (options.cursor !== undefined) {
      const after = decodeCursor(options.cursor);
      if (after === undefined) return undefined;
      start = firstIndexAfter(listing.names, after);
    }
    let page = listing.pages.get(start * 100_000 + pageSize);
    if (page === undefined) {
      const end = Math.min(start + pageSize, listing.entries.length);
      const next =
        end < listing.entries.length ? `,"nextCursor":${JSON.stringify(encodeCursor(listing.names[end - 1]!))}` : '';
      page = `{"tools":[${listing.entries.slice(start, end).join(',')}]${next}}`;
      listing.pages.set(start * 100_000 + pageSize, page);
    }
    return page;
  }

  #listing(principal: Pick<Principal, 'scopes'>): Listing {
    const key = principal.scopes.includes('*') ? '*' : [...principal.scopes].sort().join(' ');
    let listing = this.#listings.get(key);
    if (listing === undefined) {
      listing = { names: [], entries: [], pages: new Map() };
      for (const tool of this.#tools.values()) {
        if (!tool.enabled || !hasScopes(principal, tool.scopes)) continue;
        listing.names.push(tool.name);
        listing.entries.push(tool.listingJson);
      }
      if (this.#listings.size >= 1_000) this.#listings.clear(); // bound memory under many distinct scope sets
      this.#listings.set(key, listing);
    }
    return listing;
  }

  tools(): IterableIterator<ServedTool> {
    return this.#tools.values();
  }
}

/** Tools per `tools/list` page unless configured (`TOOLS_PAGE_SIZE`). */
export const DEFAULT_PAGE_SIZE = 100;

const CURSOR_PREFIX = 'after:';

/** Cursors are opaque to clients: the last tool name of the previous page, so pages stay correct across snapshots. */
function encodeCursor(lastName: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${lastName}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : undefined;
}

/** Index of the first name sorting after `name` (binary search). */
function firstIndexAfter(names: readonly string[], name: string): number {
  let low = 0;
  let high = names.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (names[mid]! <= name) low = mid + 1;
    else high = mid;
  }
  return low;
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

/** A manifest's secret bindings applied over a tool's own: only bindings the tool declares can be rebound. */
function rebind(own: Readonly<Record<string, string>>, manifest: ToolManifest | undefined): Record<string, string> {
  const secrets = { ...own };
  for (const [binding, secretName] of Object.entries(manifest?.secrets ?? {})) {
    if (binding in secrets) secrets[binding] = secretName;
  }
  return secrets;
}

/**
 * Joins the code tools with their manifests, and adds the manifest-only HTTP tools (compiled from `source: 'http'`
 * manifests). A code tool with no manifest yet is served with the code's defaults; a code tool wins over an HTTP
 * manifest of the same name.
 */
export function buildSnapshot(
  codeTools: readonly ToolDefinition[],
  manifests: ReadonlyMap<string, ToolManifest>,
  loadedAt: number,
  httpTools: ReadonlyMap<string, HttpToolDefinition> = new Map(),
): RegistrySnapshot {
  const served = codeTools.map((definition): ServedTool => {
    const found = manifests.get(definition.name);
    // An HTTP manifest that shares a code tool's name is not that tool's policy.
    const manifest = found?.source === 'code' ? found : undefined;
    const description = manifest?.description ?? definition.description;
    return {
      name: definition.name,
      definition,
      enabled: manifest?.enabled ?? true,
      description,
      scopes: manifest?.scopes ?? definition.scopes,
      secrets: rebind(definition.secrets, manifest),
      version: manifest?.version ?? 0,
      ...(manifest?.rateLimit ? { rateLimit: manifest.rateLimit } : {}),
      ...(manifest?.idempotency ? { idempotency: manifest.idempotency } : {}),
      listingJson: listingEntry(definition, description),
    };
  });
  const codeNames = new Set(codeTools.map((tool) => tool.name));
  for (const [name, definition] of httpTools) {
    const manifest = manifests.get(name);
    if (codeNames.has(name) || manifest?.source !== 'http') continue;
    served.push({
      name,
      definition,
      enabled: manifest.enabled,
      description: definition.description,
      scopes: manifest.scopes ?? definition.scopes,
      secrets: rebind(definition.secrets, manifest),
      version: manifest.version,
      ...(manifest.rateLimit ? { rateLimit: manifest.rateLimit } : {}),
      ...(manifest.idempotency ? { idempotency: manifest.idempotency } : {}),
      listingJson: listingEntry(definition, definition.description),
    });
  }
  return new RegistrySnapshot(served, loadedAt);
}
