/**
 * Every operation the admin CLI performs, behind one interface with two implementations: direct (the data layer of
 * shared/admin on the target's tables and secrets, with the operator's AWS credentials, or inside the admin API's
 * function) and remote (admin-api-client.ts: the cluster's admin API over HTTP, with a tenant admin key).
 *
 * The scope decides what an operation may touch. The platform operator (`platform`) sees and changes everything, as
 * the CLI always did; a tenant admin (`tenant`) only its tenant's keys, secrets, own HTTP tools and audit records,
 * and nothing shared.
 * Those rules live here, in `createDirectAdminApi`, and nowhere else: the admin API's function uses it too.
 */
import type { OpenApiImport } from '../http-tools/openapi/operations.js';
import type { CheckedToolManifest } from '../http-tools/spec.js';
import type { ApiKeyRole } from '../store/api-keys.js';
import type { RateLimit, TableRef } from '../store/items.js';
import { isTenantId } from '../tenants/tenants.js';
import { AdminError } from './admin-error.js';
import { type ApiKeySummary, type IssuedApiKey, issueApiKey, listApiKeys, revokeApiKey } from './api-keys.js';
import { type AuditPage, type AuditSearch, searchAudit } from './audit.js';
import {
  applyImport,
  getToolManifest,
  type HttpToolInput,
  type ImportPlan,
  type PutHttpToolResult,
  planImport,
  putHttpTool,
  removeHttpTool,
} from './http-tools.js';
import { checkScopes } from './input.js';
import {
  type PutSecretInput,
  putSecret,
  type SecretState,
  type SecretsTarget,
  type StoredSecret,
  secretId,
  secretState,
} from './secrets.js';
import { getTenant, listTenants, type TenantSummary, type TenantUpdate, updateTenant } from './tenants.js';
import {
  type CodeDefaults,
  listToolManifests,
  type PolicyUpdate,
  type RegistryItemKind,
  setEnabled,
  type ToolSummary,
  updatePolicy,
} from './tools.js';

/** Who administers: the platform operator (everything), or one tenant's admin (its own keys, secrets and audit). */
export type AdminScope = { kind: 'platform' } | { kind: 'tenant'; tenant: string };

export const PLATFORM_SCOPE: AdminScope = { kind: 'platform' };

/** An item a listing skipped because it does not parse (the CLI prints a warning for each). */
export interface SkippedItem {
  id: string;
  problem: string;
}

export interface CreateKeyInput {
  agentId: string;
  /** Required for an agent key (at least one); none for a tenant admin key. */
  scopes?: string[];
  /** A tenant admin's keys are always of its tenant: another one is refused. @default 'default' (platform) */
  tenant?: string;
  /** @default 'agent' */
  role?: ApiKeyRole;
  /** ISO-8601. */
  expiresAt?: string;
  rateLimit?: RateLimit;
  description?: string;
}

/**
 * Which tenant's own tools an operation on tools means. Absent: the shared ones (platform), or the tenant admin's own.
 * A tenant admin may name only its own tenant.
 */
export interface ToolOwner {
  tenant?: string;
}

export interface ImportInput extends ToolOwner {
  /** The document's operations as tools (`toolsFromOpenApi`): the CLI reads the document, the registry is written here. */
  imported: OpenApiImport;
  scopes?: string[];
  prune?: boolean;
  /** Plan only. */
  dryRun?: boolean;
}

export interface ImportOutcome {
  plan: ImportPlan;
  /** False for a dry run and for a plan with conflicts (nothing is written then). */
  written: boolean;
}

/** Each operation takes one JSON-able object and answers one, so the remote implementation is a plain POST. */
export interface AdminApi {
  createKey(input: CreateKeyInput): Promise<IssuedApiKey>;
  listKeys(input: Record<string, never>): Promise<{ keys: ApiKeySummary[]; skipped: SkippedItem[] }>;
  revokeKey(input: { keyId: string }): Promise<ApiKeySummary>;
  /** With `tenant` (the platform's view as that tenant): the shared items the tenant sees, and its own tools. */
  listItems(input: { kind: RegistryItemKind } & ToolOwner): Promise<{ items: ToolSummary[]; skipped: SkippedItem[] }>;
  showTool(input: { name: string } & ToolOwner): Promise<CheckedToolManifest>;
  setEnabled(input: { kind: RegistryItemKind; name: string; enabled: boolean } & ToolOwner): Promise<ToolSummary>;
  updatePolicy(input: { kind: RegistryItemKind; name: string; update: PolicyUpdate } & ToolOwner): Promise<ToolSummary>;
  putHttpTool(input: { tool: HttpToolInput } & ToolOwner): Promise<PutHttpToolResult>;
  removeHttpTool(input: { name: string } & ToolOwner): Promise<CheckedToolManifest>;
  importOpenApi(input: ImportInput): Promise<ImportOutcome>;
  putSecret(input: PutSecretInput): Promise<StoredSecret>;
  secretState(input: { name: string }): Promise<{ name: string; state: SecretState }>;
  searchAudit(input: AuditSearch): Promise<AuditPage>;
  /** Tenants with a policy (a tenant admin: its own). */
  listTenants(input: Record<string, never>): Promise<{ tenants: TenantSummary[] }>;
  showTenant(input: { tenant: string }): Promise<TenantSummary>;
  /** The platform operator only. */
  updateTenant(input: { tenant: string; update: TenantUpdate }): Promise<TenantSummary>;
}

/** Where the direct implementation reads and writes; each is asked for only by the operations that need it. */
export interface AdminTargets {
  registry(): TableRef;
  audit(): TableRef;
  secrets(): SecretsTarget;
}

export interface DirectAdminApiOptions {
  /**
   * The code's tools (resources, prompts) for defaults a manifest lacks, and for names an HTTP tool may not take. The
   * CLI gives its checkout's; the admin API's function gives none (manifests written by the sync carry the defaults).
   */
  codeDefaults?: (kind: RegistryItemKind) => Promise<readonly CodeDefaults[] | undefined>;
  now?: () => Date;
}

const forbidden = (message: string) => new AdminError('ADMIN_FORBIDDEN', message);

/**
 * Whose tools an operation on tools means: the tenant the input names (the platform's choice; absent: the shared
 * tools), or a tenant admin's own tenant (naming another is refused).
 */
export function toolOwnerFor(scope: AdminScope, input: ToolOwner): { tenant?: string } {
  if (scope.kind === 'platform') return input.tenant === undefined ? {} : { tenant: input.tenant };
  if (input.tenant !== undefined && input.tenant !== scope.tenant) {
    throw forbidden(`A tenant admin of ${scope.tenant} manages ${scope.tenant}'s tools only, not ${input.tenant}'s.`);
  }
  return { tenant: scope.tenant };
}

/** Shared tools, resources and prompts: only the platform operator changes their policy. */
function refuseSharedChange(scope: AdminScope, what: string): void {
  if (scope.kind === 'tenant') {
    throw forbidden(`${what} is shared by every tenant: only the platform operator changes its policy.`);
  }
}

/**
 * Where a secret name lands for a scope: the platform's `<prefix><name>` (the shared secrets), a tenant admin's
 * `<prefix><tenant>/<name>`. A tenant admin's names are relative to its tenant; a full name elsewhere under the
 * prefix is refused, so it never writes outside `<prefix><tenant>/`.
 */
export function secretsTargetFor(scope: AdminScope, target: SecretsTarget): SecretsTarget {
  if (scope.kind === 'platform') return target;
  if (!isTenantId(scope.tenant)) throw forbidden(`The tenant ${JSON.stringify(scope.tenant)} has no secrets.`);
  return { client: target.client, prefix: `${target.prefix}${scope.tenant}/` };
}

function checkTenantSecretName(scope: AdminScope, platformPrefix: string, name: string): void {
  if (scope.kind === 'platform' || !name.startsWith(platformPrefix)) return;
  const own = `${platformPrefix}${scope.tenant}/`;
  if (!name.startsWith(own)) {
    throw forbidden(`The secret ${name} is not the tenant's: a tenant admin names its secrets without a prefix.`);
  }
}

/** The admin operations on the target's tables and secrets, held to `scope`. */
export function createDirectAdminApi(
  targets: AdminTargets,
  scope: AdminScope,
  options: DirectAdminApiOptions = {},
): AdminApi {
  const now = options.now ?? (() => new Date());
  const codeDefaults = async (kind: RegistryItemKind) => (await options.codeDefaults?.(kind)) ?? undefined;
  const codeToolNames = async () => (await codeDefaults('tool'))?.map((tool) => tool.name);
  const tenantOnly = scope.kind === 'tenant' ? scope.tenant : undefined;

  /**
   * A tenant admin grants its agents' keys only scopes the platform operator let it grant (the tenant's
   * `grantableScopes`): a key of its own making must never reach further than its tenant is meant to.
   */
  async function checkGrantable(tenant: string, scopes: readonly string[]): Promise<void> {
    const { grantableScopes } = await getTenant(targets.registry(), tenant);
    if (!grantableScopes) {
      throw forbidden(
        `The platform operator has not said which scopes ${tenant}'s admin may grant (tenants update ${tenant} --grantable-scopes A,B).`,
      );
    }
    if (grantableScopes.includes('*')) return;
    const beyond = scopes.filter((scope) => !grantableScopes.includes(scope));
    if (beyond.length > 0) {
      throw forbidden(`${tenant}'s admin may grant ${grantableScopes.join(', ')} only, not ${beyond.join(', ')}.`);
    }
  }

  /**
   * A tenant admin's change to a tool is a change to its tenant's own tool of that name. Where it has none but its
   * tenant sees a shared one, the answer says that only the platform operator changes shared tools; otherwise the
   * tool is unknown (another tenant's own tools are never named).
   */
  async function ownToolChange<T>(name: string, change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } catch (error) {
      if (tenantOnly === undefined || (error as AdminError).code !== 'TOOL_NOT_FOUND') throw error;
      const shared = await getToolManifest(targets.registry(), name).catch(() => undefined);
      if (shared && (!shared.tenants || shared.tenants.includes(tenantOnly))) {
        refuseSharedChange(scope, `The tool ${name}`);
      }
      throw error;
    }
  }

  return {
    async createKey(input) {
      if (tenantOnly !== undefined) {
        if (input.role === 'tenant-admin') throw forbidden('Only the platform operator creates tenant admin keys.');
        if (input.tenant !== undefined && input.tenant !== tenantOnly) {
          throw forbidden(
            `A tenant admin of ${tenantOnly} creates keys for ${tenantOnly} only, not for ${input.tenant}.`,
          );
        }
        await checkGrantable(tenantOnly, checkScopes(input.scopes ?? []));
      }
      const tenant = tenantOnly ?? input.tenant;
      return issueApiKey(
        targets.registry(),
        {
          agentId: input.agentId,
          scopes: input.scopes ?? [],
          ...(tenant !== undefined ? { tenant } : {}),
          ...(input.role ? { role: input.role } : {}),
          ...(input.expiresAt !== undefined ? { expiresAt: new Date(input.expiresAt) } : {}),
          ...(input.rateLimit ? { rateLimit: input.rateLimit } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
        },
        now(),
      );
    },

    async listKeys() {
      const skipped: SkippedItem[] = [];
      const keys = await listApiKeys(targets.registry(), {
        now: now(),
        onMalformed: (id, problem) => skipped.push({ id, problem }),
      });
      // A tenant admin hears of neither the keys nor the malformed items of other tenants.
      if (tenantOnly !== undefined) return { keys: keys.filter((key) => key.tenant === tenantOnly), skipped: [] };
      return { keys, skipped };
    },

    revokeKey({ keyId }) {
      return revokeApiKey(targets.registry(), keyId, {
        now: now(),
        ...(tenantOnly !== undefined ? { tenant: tenantOnly } : {}),
      });
    },

    async listItems({ kind, ...owner }) {
      const skipped: SkippedItem[] = [];
      const items = await listToolManifests(targets.registry(), {
        ...toolOwnerFor(scope, owner),
        kind,
        codeTools: await codeDefaults(kind),
        onMalformed: (id, problem) => skipped.push({ id, problem }),
      });
      if (tenantOnly === undefined) return { items, skipped };
      // A tenant admin hears of no other tenant: a restriction it sees names its own tenant only.
      return { items: items.map((item) => (item.tenants ? { ...item, tenants: [tenantOnly] } : item)), skipped: [] };
    },

    async showTool({ name, ...owner }) {
      const tenant = toolOwnerFor(scope, owner);
      // A tenant admin sees the shared tools its tenant sees, and its own: its own of the name first.
      if (tenantOnly !== undefined) {
        const own = await getToolManifest(targets.registry(), name, tenant).catch((error: unknown) => {
          if ((error as AdminError).code === 'TOOL_NOT_FOUND') return undefined;
          throw error;
        });
        if (own) return own;
        const shared = await getToolManifest(targets.registry(), name);
        if (shared.tenants && !shared.tenants.includes(tenantOnly)) {
          throw new AdminError(
            'TOOL_NOT_FOUND',
            `No tool named "${name}" in the registry ("tools list" shows the tools).`,
          );
        }
        return shared.tenants ? { ...shared, tenants: [tenantOnly] } : shared;
      }
      return getToolManifest(targets.registry(), name, tenant);
    },

    async setEnabled({ kind, name, enabled, ...owner }) {
      if (kind !== 'tool') refuseSharedChange(scope, `The ${kind} ${name}`);
      return ownToolChange(name, async () =>
        setEnabled(targets.registry(), name, enabled, {
          kind,
          now: now(),
          codeTools: await codeDefaults(kind),
          ...toolOwnerFor(scope, owner),
        }),
      );
    },

    async updatePolicy({ kind, name, update, ...owner }) {
      if (kind !== 'tool') refuseSharedChange(scope, `The ${kind} ${name}`);
      if (tenantOnly !== undefined && (update.tenants !== undefined || update.secretFallback !== undefined)) {
        throw forbidden('Only the platform operator restricts items to tenants or lets a tenant use a shared secret.');
      }
      return ownToolChange(name, async () =>
        updatePolicy(targets.registry(), name, update, {
          kind,
          now: now(),
          codeTools: await codeDefaults(kind),
          ...toolOwnerFor(scope, owner),
        }),
      );
    },

    async putHttpTool({ tool, ...owner }) {
      return putHttpTool(targets.registry(), tool, {
        now: now(),
        codeToolNames: await codeToolNames(),
        ...toolOwnerFor(scope, owner),
      });
    },

    async removeHttpTool({ name, ...owner }) {
      return ownToolChange(name, () => removeHttpTool(targets.registry(), name, toolOwnerFor(scope, owner)));
    },

    async importOpenApi({ imported, scopes, prune, dryRun, ...owner }) {
      const store = targets.registry();
      const plan = await planImport(store, imported, {
        ...(scopes ? { scopes } : {}),
        prune: prune === true,
        codeToolNames: await codeToolNames(),
        ...toolOwnerFor(scope, owner),
      });
      const written = plan.conflicts.length === 0 && dryRun !== true;
      if (written) await applyImport(store, plan, { now: now() });
      return { plan, written };
    },

    async putSecret({ name, value }) {
      const target = targets.secrets();
      checkTenantSecretName(scope, target.prefix, name);
      return putSecret(secretsTargetFor(scope, target), name, value);
    },

    async secretState({ name }) {
      const target = targets.secrets();
      checkTenantSecretName(scope, target.prefix, name);
      const scoped = secretsTargetFor(scope, target);
      return { name: secretId(scoped.prefix, name), state: await secretState(scoped, name) };
    },

    searchAudit(search) {
      // A tenant admin's queries are its tenant's, served by the byTenant index (or filtered by tenant on an agent's).
      if (tenantOnly !== undefined) {
        if (search.tenant !== undefined && search.tenant !== tenantOnly) {
          throw forbidden(`A tenant admin of ${tenantOnly} reads ${tenantOnly}'s audit records only.`);
        }
        return searchAudit(targets.audit(), { ...search, tenant: tenantOnly });
      }
      return searchAudit(targets.audit(), search);
    },

    async listTenants() {
      if (tenantOnly !== undefined) return { tenants: [await getTenant(targets.registry(), tenantOnly)] };
      return { tenants: await listTenants(targets.registry()) };
    },

    async showTenant({ tenant }) {
      if (tenantOnly !== undefined && tenant !== tenantOnly) {
        throw forbidden(`A tenant admin of ${tenantOnly} sees ${tenantOnly}'s policy only.`);
      }
      return getTenant(targets.registry(), tenant);
    },

    async updateTenant({ tenant, update }) {
      if (tenantOnly !== undefined) throw forbidden("Only the platform operator changes tenants' policies.");
      return updateTenant(targets.registry(), tenant, update, { now: now() });
    },
  };
}
