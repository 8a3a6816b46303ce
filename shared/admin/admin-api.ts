/**
 * Every operation the admin CLI performs, behind one interface with two implementations: direct (the data layer of
 * shared/admin on the target's tables and secrets, with the operator's AWS credentials, or inside the admin API's
 * function) and remote (admin-api-client.ts: the cluster's admin API over HTTP, with a tenant admin key).
 *
 * The scope decides what an operation may touch. The platform operator (`platform`) sees and changes everything, as
 * the CLI always did; a tenant admin (`tenant`) only its tenant's keys, secrets and audit records, and no shared tool.
 * Those rules live here, in `createDirectAdminApi`, and nowhere else: the admin API's function uses it too.
 */
import type { AuditRecord } from '../audit/audit.js';
import type { OpenApiImport } from '../http-tools/openapi/operations.js';
import type { CheckedToolManifest } from '../http-tools/spec.js';
import type { ApiKeyRole } from '../store/api-keys.js';
import type { RateLimit, TableRef } from '../store/items.js';
import { AdminError } from './admin-error.js';
import {
  type ApiKeySummary,
  type IssuedApiKey,
  issueApiKey,
  isTenantPathSegment,
  listApiKeys,
  revokeApiKey,
} from './api-keys.js';
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
import {
  type PutSecretInput,
  putSecret,
  type SecretState,
  type SecretsTarget,
  type StoredSecret,
  secretId,
  secretState,
} from './secrets.js';
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

export interface ImportInput {
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
  listItems(input: { kind: RegistryItemKind }): Promise<{ items: ToolSummary[]; skipped: SkippedItem[] }>;
  showTool(input: { name: string }): Promise<CheckedToolManifest>;
  setEnabled(input: { kind: RegistryItemKind; name: string; enabled: boolean }): Promise<ToolSummary>;
  updatePolicy(input: { kind: RegistryItemKind; name: string; update: PolicyUpdate }): Promise<ToolSummary>;
  putHttpTool(input: { tool: HttpToolInput }): Promise<PutHttpToolResult>;
  removeHttpTool(input: { name: string }): Promise<CheckedToolManifest>;
  importOpenApi(input: ImportInput): Promise<ImportOutcome>;
  putSecret(input: PutSecretInput): Promise<StoredSecret>;
  secretState(input: { name: string }): Promise<{ name: string; state: SecretState }>;
  searchAudit(input: AuditSearch): Promise<AuditPage>;
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
 * The tool listing a scope sees. Today every scope sees every tool (tenant-owned tools do not exist yet).
 * HOOK (tenant tools): return the tenant's view (`{ tenant: scope.tenant }`) once `listToolManifests` and
 * `getToolManifest` take it; the direct implementation passes what this returns to both.
 */
export function toolScopeFor(_scope: AdminScope): { tenant?: string } {
  return {};
}

/**
 * Writes of HTTP tools (`tools add-http`, `tools remove`, `import-openapi`) by a tenant admin.
 * HOOK (tenant tools): today refused; once tenant-owned tools exist (manifest key `@<tenant>/<name>`, field `tenant`),
 * return what the tool functions need to write the tenant's own tools instead of throwing.
 */
export function tenantOwnedToolWrite(scope: AdminScope, action: string): { tenant?: string } {
  if (scope.kind === 'platform') return {};
  throw forbidden(`A tenant admin cannot ${action} yet: tools are shared by every tenant (ask the platform operator).`);
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
  if (!isTenantPathSegment(scope.tenant)) throw forbidden(`The tenant ${JSON.stringify(scope.tenant)} has no secrets.`);
  return { client: target.client, prefix: `${target.prefix}${scope.tenant}/` };
}

function checkTenantSecretName(scope: AdminScope, platformPrefix: string, name: string): void {
  if (scope.kind === 'platform' || !name.startsWith(platformPrefix)) return;
  const own = `${platformPrefix}${scope.tenant}/`;
  if (!name.startsWith(own)) {
    throw forbidden(`The secret ${name} is not the tenant's: a tenant admin names its secrets without a prefix.`);
  }
}

/**
 * A tenant's audit records.
 * HOOK (by-tenant index): `searchAudit` is given `tenant`; until it serves it from the by-tenant index, the records it
 * answers are filtered here (so a page may hold fewer than `limit` records). Swap this body for the plain call.
 */
export async function searchTenantAudit(store: TableRef, search: AuditSearch, tenant: string): Promise<AuditPage> {
  const page = await searchAudit(store, { ...search, tenant } as AuditSearch);
  return { records: page.records.filter((record: AuditRecord) => record.tenant === tenant), truncated: page.truncated };
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

  return {
    async createKey(input) {
      if (tenantOnly !== undefined) {
        if (input.role === 'tenant-admin') throw forbidden('Only the platform operator creates tenant admin keys.');
        if (input.tenant !== undefined && input.tenant !== tenantOnly) {
          throw forbidden(
            `A tenant admin of ${tenantOnly} creates keys for ${tenantOnly} only, not for ${input.tenant}.`,
          );
        }
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

    async listItems({ kind }) {
      const skipped: SkippedItem[] = [];
      const items = await listToolManifests(targets.registry(), {
        ...toolScopeFor(scope),
        kind,
        codeTools: await codeDefaults(kind),
        onMalformed: (id, problem) => skipped.push({ id, problem }),
      });
      return { items, skipped: tenantOnly !== undefined ? [] : skipped };
    },

    showTool({ name }) {
      toolScopeFor(scope);
      return getToolManifest(targets.registry(), name);
    },

    async setEnabled({ kind, name, enabled }) {
      refuseSharedChange(scope, `The ${kind} ${name}`);
      return setEnabled(targets.registry(), name, enabled, { kind, now: now(), codeTools: await codeDefaults(kind) });
    },

    async updatePolicy({ kind, name, update }) {
      refuseSharedChange(scope, `The ${kind} ${name}`);
      return updatePolicy(targets.registry(), name, update, { kind, now: now(), codeTools: await codeDefaults(kind) });
    },

    async putHttpTool({ tool }) {
      tenantOwnedToolWrite(scope, 'add HTTP tools');
      return putHttpTool(targets.registry(), tool, { now: now(), codeToolNames: await codeToolNames() });
    },

    async removeHttpTool({ name }) {
      tenantOwnedToolWrite(scope, 'remove HTTP tools');
      return removeHttpTool(targets.registry(), name);
    },

    async importOpenApi({ imported, scopes, prune, dryRun }) {
      tenantOwnedToolWrite(scope, 'import OpenAPI documents');
      const store = targets.registry();
      const plan = await planImport(store, imported, {
        ...(scopes ? { scopes } : {}),
        prune: prune === true,
        codeToolNames: await codeToolNames(),
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
      if (tenantOnly !== undefined) return searchTenantAudit(targets.audit(), search, tenantOnly);
      return searchAudit(targets.audit(), search);
    },
  };
}
