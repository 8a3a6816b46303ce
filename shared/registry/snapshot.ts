import { hasScopes, type Principal } from '../auth/principal.js';
import type { IdempotencySettings, RateLimit } from '../store/items.js';
import type { TenantItem } from '../store/tenants.js';
import { parseToolKey, type ToolManifest } from '../store/tool-manifests.js';
import { DEFAULT_TENANT, visibleToTenant } from '../tenants/tenants.js';
import type { PromptDefinition } from '../tools/define-prompt.js';
import {
  type CatalogEntry,
  parseUriTemplate,
  type ResourceDefinition,
  type UriTemplate,
} from '../tools/define-resource.js';
import type { HttpToolDefinition, ToolDefinition } from '../tools/define-tool.js';

/** A tool, resource or prompt as served right now: the code's definition joined with the manifest's policy. */
interface ServedItem<D> {
  readonly name: string;
  readonly definition: D;
  readonly enabled: boolean;
  readonly description: string;
  readonly scopes: readonly string[];
  /** binding name → secret name (without the prefix, nor the tenant's folder). */
  readonly secrets: Readonly<Record<string, string>>;
  /** Whether a caller whose tenant has no secret of its own for a binding gets the shared one. */
  readonly secretFallback: boolean;
  /** The tenants whose callers see the item; absent: every tenant. */
  readonly tenants?: readonly string[];
  readonly version: number;
  /** Calls per agent per window, from the manifest. */
  readonly rateLimit?: RateLimit;
  /** This item's entry in its list (`tools/list`...), serialized once per snapshot. */
  readonly listingJson: string;
}

export interface ServedTool extends ServedItem<ToolDefinition> {
  /** Protection against duplicate calls, from the manifest (over the code's own). */
  readonly idempotency?: IdempotencySettings;
  /** For a tenant's own HTTP tool: its tenant (only its callers see it, under its plain name). */
  readonly owner?: string;
}

/** Who asks: what the snapshot decides visibility on (no tenant: the default tenant). */
export type Caller = Pick<Principal, 'scopes'> & { tenant?: string };

const tenantOf = (caller: Caller) => caller.tenant ?? DEFAULT_TENANT;

/** Enabled, permitted by the caller's scopes, and visible to its tenant. */
function visible(item: ServedItem<unknown>, caller: Caller): boolean {
  return item.enabled && hasScopes(caller, item.scopes) && visibleToTenant(item.tenants, tenantOf(caller));
}

export interface ServedResource extends ServedItem<ResourceDefinition> {
  /** For a resource template: its parsed URI template. */
  readonly template?: UriTemplate;
}

export type ServedPrompt = ServedItem<PromptDefinition>;

/** The lists answered from a snapshot, each precomputed per scope set: the key of its items in the result. */
export type ListKind = 'tools' | 'resources' | 'resourceTemplates' | 'prompts';

/**
 * One immutable view of the registry. List answers are computed once per snapshot and scope set,
 * so a request costs the same whatever the number of tools, resources or prompts.
 */
interface Listing {
  /** Names of the visible tools, sorted: a cursor names the last tool of its page. */
  names: string[];
  entries: string[];
  /** Serialized pages by their first index. */
  pages: Map<number, string>;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export class RegistrySnapshot {
  readonly loadedAt: number;
  /** The shared tools (code tools and HTTP tools every tenant may be shown), by name. */
  readonly #tools: ReadonlyMap<string, ServedTool>;
  /** Tenants' own HTTP tools, by tenant then name: for its callers, a tenant's tool takes the name of a shared one. */
  readonly #tenantTools: ReadonlyMap<string, ReadonlyMap<string, ServedTool>>;
  /** Tenants' policies (rate limits), by tenant id. */
  readonly #tenantPolicies: ReadonlyMap<string, TenantItem>;
  /** Whether any list differs between tenants (an item restricted to some, or a tenant's own tool). */
  readonly #perTenant: boolean;
  /** Static resources by URI. */
  readonly #resources: ReadonlyMap<string, ServedResource>;
  /** Resource templates, in name order: a URI is the first template's that matches. */
  readonly #templates: readonly ServedResource[];
  readonly #prompts: ReadonlyMap<string, ServedPrompt>;
  readonly #listings = new Map<string, Listing>();

  constructor(
    tools: Iterable<ServedTool>,
    loadedAt: number,
    items: {
      resources?: Iterable<ServedResource>;
      prompts?: Iterable<ServedPrompt>;
      tenants?: ReadonlyMap<string, TenantItem>;
    } = {},
  ) {
    const sorted = [...tools].sort(byName);
    this.#tools = new Map(sorted.filter((tool) => tool.owner === undefined).map((tool) => [tool.name, tool]));
    const tenantTools = new Map<string, Map<string, ServedTool>>();
    for (const tool of sorted) {
      if (tool.owner === undefined) continue;
      const own = tenantTools.get(tool.owner) ?? new Map<string, ServedTool>();
      own.set(tool.name, tool);
      tenantTools.set(tool.owner, own);
    }
    this.#tenantTools = tenantTools;
    this.#tenantPolicies = items.tenants ?? new Map();
    const resources = [...(items.resources ?? [])].sort(byName);
    this.#resources = new Map(resources.filter((r) => !r.template).map((r) => [r.definition.uri!, r]));
    this.#templates = resources.filter((r) => r.template);
    this.#prompts = new Map([...(items.prompts ?? [])].sort(byName).map((prompt) => [prompt.name, prompt]));
    this.#perTenant =
      tenantTools.size > 0 ||
      [...this.#tools.values(), ...resources, ...this.#prompts.values()].some((item) => item.tenants !== undefined);
    this.loadedAt = loadedAt;
  }

  /** A tenant's policy (its rate limit across its agents), if operators set one. */
  tenantPolicy(tenant: string): TenantItem | undefined {
    return this.#tenantPolicies.get(tenant);
  }

  /** The tool a name means for this caller's tenant: its own, or else the shared one (visible or not). */
  #toolFor(name: string, tenant: string): ServedTool | undefined {
    return this.#tenantTools.get(tenant)?.get(name) ?? this.#tools.get(name);
  }

  /** Whether the snapshot serves any resource or template (the `resources` capability), any prompt. */
  get servesResources(): boolean {
    return this.#resources.size + this.#templates.length > 0;
  }

  /**
   * The resource behind a URI if `principal` may read it, with the template's variables; `undefined` for unknown,
   * disabled and not-permitted alike. A static resource wins over a template that also matches.
   */
  readable(
    uri: string,
    principal: Caller,
  ): { resource: ServedResource; variables: Record<string, string> } | undefined {
    const found = this.#resources.get(uri);
    if (found) return visible(found, principal) ? { resource: found, variables: {} } : undefined;
    // A template the caller may not read is passed over as if it were not there.
    for (const resource of this.#templates) {
      if (!visible(resource, principal)) continue;
      const variables = resource.template!.match(uri);
      if (variables) return { resource, variables };
    }
    return undefined;
  }

  /** A resource template by its URI template, if `principal` may read it (completion's `ref/resource`). */
  template(uriTemplate: string, principal: Caller): ServedResource | undefined {
    const resource = this.#templates.find((r) => r.definition.uriTemplate === uriTemplate);
    return resource && visible(resource, principal) ? resource : undefined;
  }

  /** The prompt if `principal` may get it; `undefined` for unknown, disabled and not-permitted alike. */
  prompt(name: string, principal: Caller): ServedPrompt | undefined {
    const prompt = this.#prompts.get(name);
    return prompt && visible(prompt, principal) ? prompt : undefined;
  }

  /** The tools `principal` may call, as a catalogue (what its `tools/list` shows), in name order. */
  catalogFor(principal: Caller): CatalogEntry[] {
    const entries: CatalogEntry[] = [];
    for (const tool of this.#toolsFor(tenantOf(principal))) {
      if (!visible(tool, principal)) continue;
      entries.push({
        name: tool.name,
        ...(tool.definition.title ? { title: tool.definition.title } : {}),
        description: tool.description,
        scopes: tool.scopes,
        ...(tool.definition.annotations ? { annotations: { ...tool.definition.annotations } } : {}),
      });
    }
    return entries;
  }

  resources(): IterableIterator<ServedResource> {
    return [...this.#resources.values(), ...this.#templates].values();
  }

  prompts(): IterableIterator<ServedPrompt> {
    return this.#prompts.values();
  }

  get size(): number {
    return this.#tools.size;
  }

  /**
   * Whether an enabled tool of this name exists for the tenant, whatever the caller's scopes (for the audit trail
   * only: never tell a caller).
   */
  has(name: string, tenant: string = DEFAULT_TENANT): boolean {
    // A tool restricted to other tenants does not exist for this one: its trail (which its admin reads) says unknown.
    const tool = this.#toolFor(name, tenant);
    return tool?.enabled === true && visibleToTenant(tool.tenants, tenant);
  }

  /**
   * The tool if `principal` may call it; `undefined` for unknown, disabled, not permitted and another tenant's alike
   * (no enumeration). For a caller whose tenant has a tool of that name, the name is that tool's.
   */
  callable(name: string, principal: Caller): ServedTool | undefined {
    const tool = this.#toolFor(name, tenantOf(principal));
    return tool && visible(tool, principal) ? tool : undefined;
  }

  /** The tools a tenant's callers may be shown, in name order: its own, and the shared ones its own do not shadow. */
  #toolsFor(tenant: string): Iterable<ServedTool> {
    const own = this.#tenantTools.get(tenant);
    if (!own) return this.#tools.values();
    return [...[...this.#tools.values()].filter((tool) => !own.has(tool.name)), ...own.values()].sort(byName);
  }

  /**
   * One page of the `tools/list` result for this principal's scopes, as JSON text: `{"tools":[...],"nextCursor":"..."}`.
   * Pages hold at most `pageSize` tools, so an answer costs the same whatever the size of the registry; each is
   * serialized once per snapshot and scope set. `undefined` when the cursor is not one this server issued.
   */
  listingFor(principal: Caller, options?: { pageSize?: number; kind?: ListKind }): string;
  listingFor(principal: Caller, options: { pageSize?: number; cursor?: string; kind?: ListKind }): string | undefined;
  listingFor(
    principal: Caller,
    options: { pageSize?: number; cursor?: string; kind?: ListKind } = {},
  ): string | undefined {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const kind = options.kind ?? 'tools';
    const listing = this.#listing(principal, kind);
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
      page = `{"${kind}":[${listing.entries.slice(start, end).join(',')}]${next}}`;
      listing.pages.set(start * 100_000 + pageSize, page);
    }
    return page;
  }

  #listing(principal: Caller, kind: ListKind): Listing {
    // One listing per scope set, and per tenant only when some list differs between tenants.
    // JSON, so that no tenant or scope text (a token's claims are anyone's) can make two callers' keys equal.
    const key = JSON.stringify([
      kind,
      this.#perTenant ? tenantOf(principal) : null,
      principal.scopes.includes('*') ? ['*'] : [...principal.scopes].sort(),
    ]);
    let listing = this.#listings.get(key);
    if (listing === undefined) {
      listing = { names: [], entries: [], pages: new Map() };
      const items: Iterable<ServedItem<unknown>> =
        kind === 'tools'
          ? this.#toolsFor(tenantOf(principal))
          : kind === 'resources'
            ? this.#resources.values()
            : kind === 'resourceTemplates'
              ? this.#templates
              : this.#prompts.values();
      // Static resources are keyed by URI but listed, like everything else, in name order.
      const ordered = kind === 'resources' ? [...items].sort(byName) : items;
      for (const item of ordered) {
        if (!visible(item, principal)) continue;
        listing.names.push(item.name);
        listing.entries.push(item.listingJson);
      }
      if (this.#listings.size >= 1_000) this.#listings.clear(); // bound memory under many distinct scope sets
      this.#listings.set(key, listing);
    }
    return listing;
  }

  /**
   * The shared tools (what the public metadata's scopes describe). Tenants' own tools are not among them: their names
   * and scopes are their tenants' business.
   */
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
  items: {
    resources?: readonly ResourceDefinition[];
    prompts?: readonly PromptDefinition[];
    tenants?: ReadonlyMap<string, TenantItem>;
  } = {},
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
      ...tenantPolicy(manifest),
      version: manifest?.version ?? 0,
      ...(manifest?.rateLimit ? { rateLimit: manifest.rateLimit } : {}),
      ...(manifest?.idempotency ? { idempotency: manifest.idempotency } : {}),
      listingJson: listingEntry(definition, description),
    };
  });
  const codeNames = new Set(codeTools.map((tool) => tool.name));
  for (const [key, definition] of httpTools) {
    const manifest = manifests.get(key);
    if (codeNames.has(key) || manifest?.source !== 'http') continue;
    // A tenant's own tool (`@<tenant>/<name>`) is served under its plain name, to its tenant's callers only.
    const { tenant: owner, name } = parseToolKey(key);
    served.push({
      name,
      definition,
      enabled: manifest.enabled,
      description: definition.description,
      scopes: manifest.scopes ?? definition.scopes,
      secrets: rebind(definition.secrets, manifest),
      ...tenantPolicy(manifest),
      ...(owner === undefined ? {} : { owner }),
      version: manifest.version,
      ...(manifest.rateLimit ? { rateLimit: manifest.rateLimit } : {}),
      ...(manifest.idempotency ? { idempotency: manifest.idempotency } : {}),
      listingJson: listingEntry(definition, definition.description),
    });
  }
  return new RegistrySnapshot(served, loadedAt, {
    resources: (items.resources ?? []).map((definition) => servedResource(definition, manifests)),
    prompts: (items.prompts ?? []).map((definition) => servedPrompt(definition, manifests)),
    ...(items.tenants ? { tenants: items.tenants } : {}),
  });
}

/** What a manifest says about tenants: who sees the item, and whether a tenant without a secret gets the shared one. */
function tenantPolicy(manifest: ToolManifest | undefined): Pick<ServedItem<unknown>, 'secretFallback' | 'tenants'> {
  return {
    secretFallback: manifest?.secretFallback === true,
    ...(manifest?.tenants ? { tenants: manifest.tenants } : {}),
  };
}

/** The manifest key of a resource or a prompt: beside the tools' in the registry, where no tool name can collide. */
export const itemManifestKey = (kind: 'resource' | 'prompt', name: string) => `${kind}:${name}`;

function policyOf<
  D extends { name: string; description: string; scopes: readonly string[]; secrets: Readonly<Record<string, string>> },
>(kind: 'resource' | 'prompt', definition: D, manifests: ReadonlyMap<string, ToolManifest>) {
  const found = manifests.get(itemManifestKey(kind, definition.name));
  const manifest = found?.source === 'code' ? found : undefined;
  return {
    name: definition.name,
    definition,
    enabled: manifest?.enabled ?? true,
    description: manifest?.description ?? definition.description,
    scopes: manifest?.scopes ?? definition.scopes,
    secrets: rebind(definition.secrets, manifest),
    ...tenantPolicy(manifest),
    version: manifest?.version ?? 0,
    ...(manifest?.rateLimit ? { rateLimit: manifest.rateLimit } : {}),
  };
}

function servedResource(definition: ResourceDefinition, manifests: ReadonlyMap<string, ToolManifest>): ServedResource {
  const policy = policyOf('resource', definition, manifests);
  const template = definition.uriTemplate === undefined ? undefined : parseUriTemplate(definition.uriTemplate);
  const entry = {
    ...(template ? { uriTemplate: definition.uriTemplate } : { uri: definition.uri }),
    name: definition.name,
    ...(definition.title ? { title: definition.title } : {}),
    description: policy.description,
    ...(definition.mimeType ? { mimeType: definition.mimeType } : {}),
    ...(definition.size !== undefined && !template ? { size: definition.size } : {}),
    ...(definition.annotations ? { annotations: definition.annotations } : {}),
  };
  return { ...policy, ...(template ? { template } : {}), listingJson: JSON.stringify(entry) };
}

function servedPrompt(definition: PromptDefinition, manifests: ReadonlyMap<string, ToolManifest>): ServedPrompt {
  const policy = policyOf('prompt', definition, manifests);
  const entry = {
    name: definition.name,
    ...(definition.title ? { title: definition.title } : {}),
    description: policy.description,
    arguments: definition.arguments.map((argument) => ({
      name: argument.name,
      description: argument.description,
      required: argument.required,
    })),
  };
  return { ...policy, listingJson: JSON.stringify(entry) };
}
