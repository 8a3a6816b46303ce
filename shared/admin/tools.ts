import { checkedToolManifestSchema } from '../http-tools/spec.js';
import {
  type IdempotencySettings,
  idempotencySettingsSchema,
  type RateLimit,
  rateLimitSchema,
  type TableRef,
} from '../store/items.js';
import {
  createToolManifestStore,
  type ManifestChange,
  parseToolKey,
  type ToolManifest,
  tenantToolKey,
} from '../store/tool-manifests.js';
import { visibleToTenant } from '../tenants/tenants.js';
import { TOOL_NAME_PATTERN } from '../tools/naming.js';
import { AdminError } from './admin-error.js';
import { checkScopes, checkTenant, type MalformedItemHandler } from './input.js';

/** What the code says about a tool when no policy overrides it (a `ToolDefinition` fits). */
export interface CodeDefaults {
  name: string;
  scopes: readonly string[];
  description: string;
}

/** A tool's effective policy: the manifest's overrides joined with the code's defaults. */
export interface ToolSummary {
  name: string;
  source: string;
  enabled: boolean;
  /** The scopes a caller needs (all of them); empty: every caller. */
  scopes: string[];
  /** The code's scopes, used when the manifest sets none. */
  defaultScopes: string[];
  scopesOverridden: boolean;
  description: string | null;
  descriptionOverridden: boolean;
  /** Calls per agent per window; `null`: unlimited. */
  rateLimit: RateLimit | null;
  /** Secret bindings rebound by operators (binding → secret name); `{}` when none. */
  secrets: Record<string, string>;
  /** Protection against duplicate calls set by operators (over the code's); absent when none is set. */
  idempotency?: IdempotencySettings;
  /** The tenants whose callers see it; `null`: every tenant. */
  tenants: string[] | null;
  /** For a tenant's own tool: its tenant; `null` for a shared one. */
  tenant: string | null;
  /** Whether a tenant without its own secret for a binding gets the shared one. */
  secretFallback: boolean;
  version: number;
  updatedAt: string | null;
}

/** What the registry holds policy for: tools, and the folder resources and prompts beside them. */
export type RegistryItemKind = 'tool' | 'resource' | 'prompt';

/** The manifest key of an item: a tool's name, a tenant's own tool's `@<tenant>/<name>`, `resource:<name>`... */
const keyOf = (kind: RegistryItemKind, name: string, tenant?: string) =>
  kind !== 'tool' ? `${kind}:${name}` : tenant === undefined ? name : tenantToolKey(tenant, name);

/** The item a manifest key names, if it is of this kind. */
function nameOf(kind: RegistryItemKind, key: string): string | undefined {
  if (kind === 'tool') return key.includes(':') ? undefined : parseToolKey(key).name;
  return key.startsWith(`${kind}:`) ? key.slice(kind.length + 1) : undefined;
}

export interface ToolStoreOptions {
  /** Tools (the default), resources or prompts. */
  kind?: RegistryItemKind;
  /**
   * The code's tools, used for defaults a manifest lacks (manifests written by the sync carry `defaultScopes` and
   * `defaultDescription`, which describe the deployed code and win).
   */
  codeTools?: readonly CodeDefaults[];
  /**
   * A tenant's view: in a listing, the shared items its callers may see and its own tools; for a change, its own
   * tool of that name (never a shared one).
   */
  tenant?: string;
}

export function summarizeTool(manifest: ToolManifest, code?: CodeDefaults): ToolSummary {
  const defaultScopes = [...(manifest.defaultScopes ?? code?.scopes ?? [])];
  const defaultDescription = manifest.defaultDescription ?? code?.description ?? null;
  const separator = manifest.SK.indexOf(':');
  return {
    name: separator === -1 ? parseToolKey(manifest.SK).name : manifest.SK.slice(separator + 1),
    source: manifest.source,
    enabled: manifest.enabled,
    scopes: [...(manifest.scopes ?? defaultScopes)],
    defaultScopes,
    scopesOverridden: manifest.scopes !== undefined,
    description: manifest.description ?? defaultDescription,
    descriptionOverridden: manifest.description !== undefined,
    rateLimit: manifest.rateLimit ?? null,
    secrets: { ...(manifest.secrets ?? {}) },
    ...(manifest.idempotency ? { idempotency: { ...manifest.idempotency } } : {}),
    tenants: manifest.tenants ? [...manifest.tenants] : null,
    tenant: manifest.tenant ?? null,
    secretFallback: manifest.secretFallback === true,
    version: manifest.version,
    updatedAt: manifest.updatedAt ?? null,
  };
}

/** Every tool manifest in the registry, by name, with its effective policy. Malformed items are skipped. */
export async function listToolManifests(
  store: TableRef,
  options: ToolStoreOptions & { onMalformed?: MalformedItemHandler } = {},
): Promise<ToolSummary[]> {
  const kind = options.kind ?? 'tool';
  const code = new Map((options.codeTools ?? []).map((tool) => [tool.name, tool]));
  const tools: ToolSummary[] = [];
  const onMalformed = (name: string, issues: { message: string }[]) =>
    options.onMalformed?.(name, issues[0]?.message ?? 'invalid');
  const tenant = options.tenant === undefined ? undefined : checkTenant(options.tenant);
  for (const manifest of (await createToolManifestStore(store).readAll({ onMalformed })).values()) {
    const name = nameOf(kind, manifest.SK);
    if (name === undefined) continue;
    // A tenant sees its own tools and the shared items open to it, not other tenants' tools.
    if (tenant !== undefined && (manifest.tenant ?? tenant) !== tenant) continue;
    if (tenant !== undefined && manifest.tenant === undefined && !visibleToTenant(manifest.tenants, tenant)) continue;
    const checked = checkedToolManifestSchema.safeParse(manifest);
    if (checked.success) tools.push(summarizeTool(checked.data, code.get(name)));
    else onMalformed(manifest.SK, checked.error.issues);
  }
  return tools.sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : (a.tenant ?? '') < (b.tenant ?? '') ? -1 : 1,
  );
}

/** Enables or disables a tool for every caller; instances follow within their `REGISTRY_TTL_MS`. */
export async function setEnabled(
  store: TableRef,
  name: string,
  enabled: boolean,
  options: ToolStoreOptions & { now?: Date } = {},
): Promise<ToolSummary> {
  return updateManifest(store, name, { set: { enabled }, remove: [] }, options);
}

/**
 * A change to a tool's policy. For each field: absent leaves it as it is; `null` clears the override (back to the
 * code's scopes or description; no rate limit).
 */
export interface PolicyUpdate {
  /** `[]` means no scope is needed: every caller sees the tool. */
  scopes?: readonly string[] | null;
  rateLimit?: RateLimit | null;
  description?: string | null;
  /** Replaces the tool's idempotency policy as a whole (`null`: back to the code's and the cluster's defaults). */
  idempotency?: IdempotencySettings | null;
  /** The tenants whose callers see the item (`null`: every tenant). Not for a tenant's own tool. */
  tenants?: readonly string[] | null;
  /** Whether a tenant without its own secret gets the shared one (`null`: no). Not for a tenant's own tool. */
  secretFallback?: boolean | null;
}

/** Changes a tool's policy in one UpdateItem that bumps `version` and sets `updatedAt`. */
export async function updatePolicy(
  store: TableRef,
  name: string,
  update: PolicyUpdate,
  options: ToolStoreOptions & { now?: Date } = {},
): Promise<ToolSummary> {
  const set: ManifestChange['set'] = {};
  const remove: ManifestChange['remove'][number][] = [];
  if (update.scopes === null) remove.push('scopes');
  else if (update.scopes !== undefined) {
    set.scopes = checkScopes(update.scopes);
  }
  if (update.rateLimit === null) remove.push('rateLimit');
  else if (update.rateLimit !== undefined) {
    const parsed = rateLimitSchema.safeParse(update.rateLimit);
    if (!parsed.success) {
      throw new AdminError('INVALID_INPUT', 'A rate limit needs a positive limit and a window of 1 s to 1 day.');
    }
    set.rateLimit = { limit: parsed.data.limit, windowSeconds: parsed.data.windowSeconds };
  }
  if (update.description === null) remove.push('description');
  else if (update.description !== undefined) {
    const description = update.description.trim();
    if (!description) throw new AdminError('INVALID_INPUT', 'The description is empty.');
    set.description = description;
  }
  if (update.idempotency === null) remove.push('idempotency');
  else if (update.idempotency !== undefined) {
    const parsed = idempotencySettingsSchema.safeParse(update.idempotency);
    if (!parsed.success) {
      throw new AdminError(
        'INVALID_INPUT',
        'An idempotency policy has an optional enabled flag, a ttl of 1 s to 7 days and a window of 1 s to 1 day.',
      );
    }
    set.idempotency = parsed.data;
  }
  if ((update.tenants !== undefined || update.secretFallback !== undefined) && options.tenant !== undefined) {
    throw new AdminError(
      'INVALID_INPUT',
      "A tenant's own tool is its tenant's only and reads its tenant's secrets only: it takes no tenants or secret fallback.",
    );
  }
  if (update.tenants === null) remove.push('tenants');
  else if (update.tenants !== undefined) {
    const tenants = [...new Set(update.tenants.map((tenant) => checkTenant(tenant.trim())))];
    if (tenants.length === 0) {
      throw new AdminError('INVALID_INPUT', 'Name at least one tenant (or clear the restriction: every tenant).');
    }
    set.tenants = tenants.sort();
  }
  if (update.secretFallback === null || update.secretFallback === false) remove.push('secretFallback');
  else if (update.secretFallback === true) set.secretFallback = true;
  if (Object.keys(set).length === 0 && remove.length === 0) {
    throw new AdminError(
      'NOTHING_TO_UPDATE',
      'Nothing to update: give scopes, a rate limit, a description, an idempotency policy, tenants or a secret fallback.',
    );
  }
  return updateManifest(store, name, { set, remove }, options);
}

async function updateManifest(
  store: TableRef,
  name: string,
  change: ManifestChange,
  options: ToolStoreOptions & { now?: Date },
): Promise<ToolSummary> {
  if (!TOOL_NAME_PATTERN.test(name)) {
    throw new AdminError(
      'INVALID_INPUT',
      `Invalid tool name ${JSON.stringify(name)}: tool names match ${TOOL_NAME_PATTERN}.`,
    );
  }
  const kind = options.kind ?? 'tool';
  const tenant = options.tenant === undefined ? undefined : checkTenant(options.tenant);
  if (tenant !== undefined && kind !== 'tool') {
    throw new AdminError('TOOL_NOT_FOUND', `Tenant ${tenant} has no ${kind}s of its own: ${kind}s are shared.`);
  }
  const updated = await createToolManifestStore(store).update(
    keyOf(kind, name, tenant),
    change,
    options.now ?? new Date(),
  );
  if (!updated) {
    throw new AdminError(
      'TOOL_NOT_FOUND',
      tenant === undefined
        ? `No ${kind} named "${name}" in the registry ("${kind}s list" shows them; a new ${kind} folder is registered by the next deploy or npm start).`
        : `Tenant ${tenant} has no tool of its own named "${name}" ("tools list --tenant ${tenant}" shows its tools).`,
    );
  }
  return summarizeTool(
    checkedToolManifestSchema.parse(updated),
    options.codeTools?.find((tool) => tool.name === name),
  );
}
