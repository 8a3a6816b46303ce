/**
 * Manifest-only HTTP tools (`source: 'http'`) in the registry: read a full manifest, add or replace one, remove one,
 * and plan and apply an OpenAPI import. Writes are conditional on the version read, so no update is lost, and never
 * replace a code tool.
 */

import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { compileHttpTool, httpToolProblems } from '../http-tools/compile-http-tool.js';
import type { OpenApiDocument } from '../http-tools/openapi/document.js';
import { type LoadedOpenApi, loadOpenApi } from '../http-tools/openapi/load.js';
import { OpenApiError } from '../http-tools/openapi/openapi-error.js';
import {
  type ImportedTool,
  type OpenApiImport,
  type OpenApiImportOptions,
  openApiToTools,
} from '../http-tools/openapi/operations.js';
import { classifyAddress } from '../http-tools/outbound/address-policy.js';
import type { OutboundClient } from '../http-tools/outbound/outbound-client.js';
import {
  argumentMappingSchema,
  type CheckedToolManifest,
  checkedToolManifestSchema,
  type HttpToolSpec,
  httpAuthSchema,
  httpRequestSchema,
  httpToolSpecSchema,
  issueLines,
} from '../http-tools/spec.js';
import { parseRateLimit } from '../rate-limit/rate-limit.js';
import { type RateLimit, rateLimitSchema, type TableRef } from '../store/items.js';
import { createToolManifestStore, parseToolKey, TOOL_PARTITION, tenantToolKey } from '../store/tool-manifests.js';
import { TOOL_NAME_PATTERN } from '../tools/naming.js';
import { AdminError } from './admin-error.js';
import { checkScopes, checkTenant } from './input.js';

/** An HTTP tool as an operator gives it: the manifest without its keys and bookkeeping. */
export interface HttpToolInput {
  name: string;
  description: string;
  http: HttpToolSpec;
  /** Absent: unchanged on an update, none (every caller) on a new tool. */
  scopes?: string[];
  rateLimit?: RateLimit;
  enabled?: boolean;
}

/** Compiling a manifest never sends anything: a client that refuses to is enough. */
const noOutbound: OutboundClient = {
  send: () => Promise.reject(new Error('a manifest being checked sends no request')),
};

const HTTP_FIELDS = [
  'title',
  'inputSchema',
  'outputSchema',
  'annotations',
  'request',
  'auth',
  'response',
  'importedFrom',
  'operationId',
] as const;

/**
 * The file `tools add-http` reads (JSON or YAML): name, description and policy, with the `http` spec's fields either
 * at the top level or under `http`. `rateLimit` may be `10/min` or `{ limit, windowSeconds }`.
 */
const toolFileSchema = z.strictObject({
  name: z.string().regex(TOOL_NAME_PATTERN, 'a tool name: 1-128 letters, digits, `_`, `-` or `.`'),
  description: z.string().trim().min(1, 'the description the model reads'),
  scopes: z.array(z.string().min(1)).optional(),
  rateLimit: z.union([z.string(), rateLimitSchema]).optional(),
  enabled: z.boolean().optional(),
  http: z.record(z.string(), z.unknown()).optional(),
  // What `tools show --json` also prints, accepted so its output can be edited and added back; the registry sets them.
  source: z.literal('http', 'only HTTP tools are added from a file').optional(),
  version: z.number().optional(),
  updatedAt: z.string().optional(),
  secrets: z.record(z.string(), z.string()).optional(),
  ...Object.fromEntries(HTTP_FIELDS.map((field) => [field, z.unknown().optional()])),
});

/**
 * Reads a tool file (JSON, or YAML for anything else) into a validated `HttpToolInput`. Every problem is reported at
 * once: each field's shape, and what `checkHttpTool` checks (URL, placeholders, schemas, headers) on the parts whose
 * shape is right.
 */
export function parseHttpToolFile(text: string, fileName = 'the file'): HttpToolInput {
  let data: unknown;
  try {
    data = /\.json$/i.test(fileName) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new AdminError(
      'INVALID_MANIFEST',
      `${fileName} is not valid ${/\.json$/i.test(fileName) ? 'JSON' : 'YAML'}: ${syntaxProblem(error, text)}`,
      { cause: error },
    );
  }
  const file = toolFileSchema.safeParse(data);
  if (!isRecord(data)) throw invalid(fileName, file.error ? issueLines(file.error.issues) : []);
  const problems = file.success ? [] : issueLines(file.error.issues);
  const nested = data.http !== undefined;
  const flat = HTTP_FIELDS.filter((field) => data[field] !== undefined);
  if (nested && flat.length) {
    problems.push(
      `(top level): give the HTTP fields (${flat.join(', ')}) either under \`http\` or at the top level, not both`,
    );
  }
  const specInput = nested ? data.http : Object.fromEntries(flat.map((field) => [field, data[field]]));
  let limit: RateLimit | undefined;
  if (typeof data.rateLimit === 'string') {
    try {
      limit = parseRateLimit(data.rateLimit);
    } catch (error) {
      problems.push(`rateLimit: ${(error as Error).message}`);
    }
  } else if (file.success) limit = file.data.rateLimit as RateLimit | undefined;
  const spec = httpToolSpecSchema.safeParse(specInput);
  if (!spec.success) problems.push(...issueLines(spec.error.issues, nested ? ['http'] : []));
  const http = spec.success ? spec.data : salvage(specInput);
  if (http) {
    const name = typeof data.name === 'string' ? data.name : '';
    const semantic = manifestProblems({ name, description: '', http }, { checkName: false });
    problems.push(...semantic.map((problem) => (nested ? `http.${problem}` : problem)));
  }
  if (problems.length || !file.success || !spec.success) throw invalid(fileName, problems);
  const { name, description, scopes, enabled } = file.data;
  return {
    name,
    description,
    http: spec.data,
    ...(scopes ? { scopes } : {}),
    ...(limit ? { rateLimit: limit } : {}),
    ...(enabled !== undefined ? { enabled } : {}),
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The parts of an HTTP spec whose shape is right, as a spec the semantic checks can read (arguments, headers, hosts or
 * auth of the wrong shape are left out); undefined without an input schema and a URL to check.
 */
function salvage(raw: unknown): HttpToolSpec | undefined {
  if (!isRecord(raw) || !isRecord(raw.inputSchema) || !isRecord(raw.request)) return undefined;
  const request = raw.request;
  if (typeof request.url !== 'string') return undefined;
  const fields = httpRequestSchema.shape;
  const method = fields.method.safeParse(request.method);
  const args = isRecord(request.arguments)
    ? Object.entries(request.arguments).flatMap(([argument, mapping]) => {
        const parsed = argumentMappingSchema.safeParse(mapping);
        return parsed.success ? [[argument, parsed.data] as const] : [];
      })
    : [];
  const headers = isRecord(request.headers)
    ? Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    : [];
  const hosts = Array.isArray(request.allowedHosts)
    ? request.allowedHosts.flatMap((host) => fields.allowedHosts.safeParse([host]).data ?? [])
    : [];
  const auth = httpAuthSchema.safeParse(raw.auth);
  return {
    inputSchema: raw.inputSchema,
    ...(isRecord(raw.outputSchema) ? { outputSchema: raw.outputSchema } : {}),
    request: {
      method: method.success ? method.data : 'GET',
      url: request.url,
      ...(args.length ? { arguments: Object.fromEntries(args) } : {}),
      ...(headers.length ? { headers: Object.fromEntries(headers) } : {}),
      ...(hosts.length ? { allowedHosts: hosts } : {}),
    },
    ...(auth.success ? { auth: auth.data } : {}),
  };
}

/**
 * A parser's complaint in one sentence, and the line it is about: the YAML parser's message ends with `:` before a
 * code frame, which is replaced by the line itself.
 */
function syntaxProblem(error: unknown, text: string): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.replace(/[\s:.]+$/, '');
  const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
  const source = line === undefined ? undefined : text.split(/\r?\n/)[line - 1]?.trimEnd();
  return source ? `${message}.\n  line ${line}: ${truncate(source, 120)}` : `${message}.`;
}

const truncate = (value: string, max: number) => (value.length <= max ? value : `${value.slice(0, max - 1)}…`);

/** The most problems one error lists. */
const MAX_PROBLEMS = 25;

function invalid(subject: string, problems: string[]): AdminError {
  const shown = problems.slice(0, MAX_PROBLEMS);
  if (problems.length > shown.length) shown.push(`… and ${problems.length - shown.length} more`);
  return new AdminError('INVALID_MANIFEST', `${subject} is not a valid HTTP tool:\n  ${shown.join('\n  ')}`);
}

/**
 * What the runtime relies on beyond the schema: an absolute http(s) URL, a placeholder for every path argument and an
 * argument for every placeholder, arguments that the input schema declares, headers the platform does not own, and
 * schemas a validator compiles. Every problem is named at once.
 */
export function checkHttpTool(tool: HttpToolInput): void {
  const problems = manifestProblems(tool);
  if (problems.length === 0) {
    // Everything else the function checks when it loads the manifest: what it would skip is refused here instead.
    try {
      compileHttpTool(tool.name, tool.http, tool.description, { outbound: noOutbound });
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length) throw invalid(tool.name, problems);
}

/** The problems `checkHttpTool` names: the admin's own checks, then everything the function refuses to compile. */
function manifestProblems(tool: HttpToolInput, options: { checkName?: boolean } = {}): string[] {
  const problems: string[] = [];
  const { http } = tool;
  if (options.checkName !== false && !TOOL_NAME_PATTERN.test(tool.name)) {
    problems.push(`name: ${JSON.stringify(tool.name)} is not a tool name`);
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(http.request.url.replace(/\{[^}]*\}/g, 'x'));
  } catch {
    parsed = undefined; // named by httpToolProblems
  }
  // Literal addresses no HTTP tool may ever reach are refused now, not only at call time (where names are checked).
  const forbiddenLiteral = (host: string) => {
    const bare = host.replace(/^\[|\](:\d+)?$/g, '').replace(/^([\d.]+):\d+$/, '$1');
    return isIP(bare) !== 0 && classifyAddress(bare) === 'forbidden' ? bare : undefined;
  };
  const urlLiteral = parsed ? forbiddenLiteral(parsed.hostname) : undefined;
  if (urlLiteral) {
    problems.push(`request.url: ${urlLiteral} is a link-local, metadata or reserved address; no tool may call it`);
  }
  for (const [index, host] of (http.request.allowedHosts ?? []).entries()) {
    const literal = forbiddenLiteral(host);
    if (literal)
      problems.push(`request.allowedHosts.${index}: ${literal} is a link-local, metadata or reserved address`);
  }
  const properties =
    typeof http.inputSchema.properties === 'object' && http.inputSchema.properties !== null
      ? (http.inputSchema.properties as Record<string, unknown>)
      : {};
  for (const argument of Object.keys(http.request.arguments ?? {})) {
    if (!(argument in properties)) problems.push(`request.arguments.${argument}: not a property of inputSchema`);
  }
  if (http.outputSchema && http.outputSchema.type !== 'object') problems.push('outputSchema.type: must be "object"');
  problems.push(...httpToolProblems(http));
  return problems;
}

/** Every manifest in the registry, by name, as stored (malformed items are skipped). */
export async function readManifests(store: TableRef): Promise<Map<string, CheckedToolManifest>> {
  const manifests = new Map<string, CheckedToolManifest>();
  for (const [name, manifest] of await createToolManifestStore(store).readAll()) {
    const checked = checkedToolManifestSchema.safeParse(manifest);
    if (checked.success) manifests.set(name, checked.data);
  }
  return manifests;
}

/**
 * One tool's manifest as stored, `http` spec included; TOOL_NOT_FOUND when there is none. With `tenant`: that
 * tenant's own tool of the name.
 */
export async function getToolManifest(
  store: TableRef,
  name: string,
  options: { tenant?: string } = {},
): Promise<CheckedToolManifest> {
  checkName(name);
  const tenant = options.tenant === undefined ? undefined : checkTenant(options.tenant);
  const manifest = await createToolManifestStore(store).get(tenant === undefined ? name : tenantToolKey(tenant, name));
  if (!manifest) throw notFound(name, tenant);
  return checkedToolManifestSchema.parse(manifest);
}

export interface PutHttpToolResult {
  manifest: CheckedToolManifest;
  created: boolean;
}

/**
 * Adds an HTTP tool, or replaces the spec and description of an existing one (keeping the policy the input does not
 * set: enabled, scopes, rate limit). Refuses to replace a code tool (`codeToolNames` adds the checkout's own).
 * With `tenant`: the tenant's own tool, which only its callers see (under this name, over a shared tool of the same
 * name) and which reads only its tenant's secrets.
 */
export async function putHttpTool(
  store: TableRef,
  input: HttpToolInput,
  options: { now?: Date; codeToolNames?: readonly string[]; tenant?: string } = {},
): Promise<PutHttpToolResult> {
  checkName(input.name);
  checkHttpTool(input);
  const tenant = options.tenant === undefined ? undefined : checkTenant(options.tenant);
  if (tenant === undefined && options.codeToolNames?.includes(input.name)) throw codeConflict(input.name);
  const existing = await getToolManifest(store, input.name, { ...(tenant ? { tenant } : {}) }).catch((error) => {
    if ((error as AdminError).code === 'TOOL_NOT_FOUND') return undefined;
    throw error;
  });
  if (existing?.source === 'code') throw codeConflict(input.name);
  const manifest = buildManifest(existing, input, {
    now: options.now,
    keepScopes: input.scopes === undefined,
    ...(tenant ? { tenant } : {}),
  });
  await writeManifest(store, manifest, existing);
  return { manifest, created: !existing };
}

/**
 * Removes an HTTP tool (with `tenant`: that tenant's own). Code tools are refused: their folder owns them
 * (`tools disable` turns one off).
 */
export async function removeHttpTool(
  store: TableRef,
  name: string,
  options: { tenant?: string } = {},
): Promise<CheckedToolManifest> {
  const existing = await getToolManifest(store, name, options);
  if (existing.source === 'code') {
    throw new AdminError(
      'CODE_TOOL',
      `${name} is a code tool: it is removed by deleting its folder under functions/tools (and deploying), or turned off with "tools disable ${name}".`,
    );
  }
  await deleteManifest(store, existing);
  return existing;
}

/** Reads an OpenAPI document for an import (`loadOpenApi`); what it refuses is an AdminError of the same code. */
export async function readOpenApi(source: string): Promise<LoadedOpenApi> {
  try {
    return await loadOpenApi(source);
  } catch (error) {
    throw asAdminError(error);
  }
}

/** The tools an import of `document` makes (`openApiToTools`); what it refuses is an AdminError of the same code. */
export function toolsFromOpenApi(document: OpenApiDocument, options: OpenApiImportOptions = {}): OpenApiImport {
  try {
    return openApiToTools(document, options);
  } catch (error) {
    throw asAdminError(error);
  }
}

const asAdminError = (error: unknown) =>
  error instanceof OpenApiError ? new AdminError(error.code, error.message, { cause: error.cause }) : error;

export interface ImportChange {
  tool: ImportedTool;
  /** What differs: `description`, `scopes`, `http.request.url`, `http.inputSchema`, ... */
  fields: string[];
  existing: CheckedToolManifest;
}

/** What an import would do to the registry. Nothing is written while `conflicts` is not empty. */
export interface ImportPlan {
  /** For an import of a tenant's own tools: the tenant. */
  tenant?: string;
  importedFrom: string;
  add: ImportedTool[];
  change: ImportChange[];
  unchanged: string[];
  /** With `prune`: this import's tools whose operation is gone from the document. */
  remove: CheckedToolManifest[];
  /** Without `prune`: this import's tools whose operation is gone from the document, kept as they are. */
  gone: CheckedToolManifest[];
  /** Tools of the same name the import does not own: code tools, HTTP tools added by hand or another import. */
  conflicts: { name: string; reason: string }[];
  /** Scopes every tool of the import gets (`--scopes`); absent: unchanged (none on a new tool). */
  scopes?: string[];
  warnings: string[];
}

/**
 * Compares an import with the registry: which tools it adds, changes (and how), leaves, and removes. With `tenant`:
 * an import of the tenant's own tools, compared with its own tools only.
 */
export async function planImport(
  store: TableRef,
  imported: OpenApiImport,
  options: { scopes?: readonly string[]; prune?: boolean; codeToolNames?: readonly string[]; tenant?: string } = {},
): Promise<ImportPlan> {
  const scopes = options.scopes ? checkScopes(options.scopes) : undefined;
  const tenant = options.tenant === undefined ? undefined : checkTenant(options.tenant);
  // The tools an import may meet, by plain name: the shared ones, or one tenant's own.
  const manifests = new Map<string, CheckedToolManifest>();
  for (const [key, manifest] of await readManifests(store)) {
    const parsed = parseToolKey(key);
    if (parsed.tenant === tenant && !key.includes(':')) manifests.set(parsed.name, manifest);
  }
  const plan: ImportPlan = {
    ...(tenant ? { tenant } : {}),
    importedFrom: imported.importedFrom,
    add: [],
    change: [],
    unchanged: [],
    remove: [],
    gone: [],
    conflicts: [],
    ...(scopes ? { scopes } : {}),
    warnings: [...imported.warnings],
  };
  const codeNames = new Set(tenant === undefined ? (options.codeToolNames ?? []) : []);
  for (const tool of imported.tools) {
    checkHttpTool(tool);
    const existing = manifests.get(tool.name);
    if (existing?.source === 'code' || (!existing && codeNames.has(tool.name))) {
      plan.conflicts.push({ name: tool.name, reason: 'a code tool has this name (use --prefix, or --include)' });
      continue;
    }
    if (!existing) {
      plan.add.push(tool);
      continue;
    }
    const owner = existing.http?.importedFrom;
    if (owner !== imported.importedFrom) {
      plan.conflicts.push({
        name: tool.name,
        reason: owner
          ? `an HTTP tool of another import (${owner}) has this name (use --prefix, or --source "${owner}" if it is this API)`
          : 'an HTTP tool added by hand has this name (use --prefix, or remove it first)',
      });
      continue;
    }
    const fields = differences(existing, tool, scopes);
    if (fields.length) plan.change.push({ tool, fields, existing });
    else plan.unchanged.push(tool.name);
  }
  const open = [
    ...plan.add.filter((tool) => tool.http.auth && !scopes?.length),
    ...plan.change
      .filter(({ tool, existing }) => tool.http.auth && !(scopes ?? existing.scopes ?? []).length)
      .map(({ tool }) => tool),
  ].map((tool) => tool.name);
  if (open.length) plan.warnings.push(unscopedCredentialWarning(open, '--scopes A,B'));
  const present = new Set(imported.allNames);
  for (const manifest of manifests.values()) {
    if (manifest.source !== 'http' || manifest.http?.importedFrom !== imported.importedFrom) continue;
    if (!present.has(parseToolKey(manifest.SK).name)) (options.prune ? plan.remove : plan.gone).push(manifest);
  }
  return plan;
}

/**
 * The warning for tools that send a credential and need no scope: every key sees and may call them, so whoever holds
 * any key uses the credential. `fix` says how to give them scopes.
 */
export function unscopedCredentialWarning(names: readonly string[], fix: string): string {
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')}, … (${names.length} tools)` : names.join(', ');
  const verb = names.length === 1 ? 'authenticates with a secret and needs' : 'authenticate with a secret and need';
  return (
    `${shown} ${verb} no scope: visible to and callable by every key. ` +
    `Give ${names.length === 1 ? 'it' : 'them'} scopes (${fix}, or "mcp-cluster tools update NAME --scopes A,B").`
  );
}

export interface ImportResult {
  added: string[];
  changed: string[];
  removed: string[];
}

/** Writes a plan: every write is conditional on what the plan read, so a concurrent change fails loudly. */
export async function applyImport(
  store: TableRef,
  plan: ImportPlan,
  options: { now?: Date } = {},
): Promise<ImportResult> {
  if (plan.conflicts.length) throw conflictError(plan);
  const result: ImportResult = { added: [], changed: [], removed: [] };
  const owner = plan.tenant ? { tenant: plan.tenant } : {};
  for (const tool of plan.add) {
    const manifest = buildManifest(
      undefined,
      { ...tool, ...(plan.scopes ? { scopes: plan.scopes } : {}) },
      {
        ...options,
        ...owner,
      },
    );
    await writeManifest(store, manifest, undefined);
    result.added.push(tool.name);
  }
  for (const { tool, existing } of plan.change) {
    const input = { ...tool, ...(plan.scopes ? { scopes: plan.scopes } : {}) };
    await writeManifest(
      store,
      buildManifest(existing, input, { now: options.now, keepScopes: !plan.scopes, ...owner }),
      existing,
    );
    result.changed.push(tool.name);
  }
  for (const manifest of plan.remove) {
    await deleteManifest(store, manifest);
    result.removed.push(parseToolKey(manifest.SK).name);
  }
  return result;
}

export function conflictError(plan: ImportPlan): AdminError {
  return new AdminError(
    'TOOL_CONFLICT',
    `Nothing imported: ${plan.conflicts.length} tool name${plan.conflicts.length > 1 ? 's are' : ' is'} taken:\n  ${plan.conflicts
      .map((conflict) => `${conflict.name}: ${conflict.reason}`)
      .join('\n  ')}`,
  );
}

/** The fields of `existing` the import would change. */
function differences(
  existing: CheckedToolManifest,
  tool: ImportedTool,
  scopes: readonly string[] | undefined,
): string[] {
  const fields: string[] = [];
  if (existing.description !== tool.description) fields.push('description');
  if (scopes && canonical(existing.scopes ?? null) !== canonical(scopes)) fields.push('scopes');
  const before = (existing.http ?? {}) as Record<string, unknown>;
  const after = tool.http as Record<string, unknown>;
  for (const field of HTTP_FIELDS) {
    if (canonical(before[field] ?? null) === canonical(after[field] ?? null)) continue;
    if (field === 'request') {
      const a = (before.request ?? {}) as Record<string, unknown>;
      const b = after.request as Record<string, unknown>;
      for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        if (canonical(a[key] ?? null) !== canonical(b[key] ?? null)) fields.push(`http.request.${key}`);
      }
    } else fields.push(`http.${field}`);
  }
  return fields;
}

/** JSON with sorted keys: equal for equal values whatever order DynamoDB returned the map keys in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

function buildManifest(
  existing: CheckedToolManifest | undefined,
  input: HttpToolInput,
  options: { now?: Date; keepScopes?: boolean; tenant?: string },
): CheckedToolManifest {
  const scopes = input.scopes ? checkScopes(input.scopes) : options.keepScopes ? existing?.scopes : undefined;
  const rateLimit = input.rateLimit ?? existing?.rateLimit;
  const candidate = {
    PK: TOOL_PARTITION,
    SK: options.tenant === undefined ? input.name : tenantToolKey(options.tenant, input.name),
    ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
    source: 'http',
    description: input.description.trim(),
    http: input.http,
    enabled: input.enabled ?? existing?.enabled ?? true,
    ...(scopes ? { scopes } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    ...(existing?.secrets ? { secrets: existing.secrets } : {}),
    ...(existing?.tenants ? { tenants: existing.tenants } : {}),
    ...(existing?.secretFallback ? { secretFallback: existing.secretFallback } : {}),
    version: (existing?.version ?? 0) + 1,
    updatedAt: (options.now ?? new Date()).toISOString(),
  };
  const parsed = checkedToolManifestSchema.safeParse(candidate);
  if (!parsed.success) throw invalid(input.name, issueLines(parsed.error.issues));
  return parsed.data;
}

/** Puts a manifest if the item is still as read: absent, or at the version read. */
async function writeManifest(
  store: TableRef,
  manifest: CheckedToolManifest,
  expected: CheckedToolManifest | undefined,
) {
  if (!(await createToolManifestStore(store).putHttp(manifest, expected))) throw concurrent(manifest.SK);
}

async function deleteManifest(store: TableRef, expected: CheckedToolManifest) {
  if (!(await createToolManifestStore(store).deleteHttp(expected))) throw concurrent(expected.SK);
}

function checkName(name: string): void {
  if (!TOOL_NAME_PATTERN.test(name)) {
    throw new AdminError(
      'INVALID_INPUT',
      `Invalid tool name ${JSON.stringify(name)}: tool names match ${TOOL_NAME_PATTERN}.`,
    );
  }
}

const notFound = (name: string, tenant?: string) =>
  new AdminError(
    'TOOL_NOT_FOUND',
    tenant === undefined
      ? `No tool named "${name}" in the registry ("tools list" shows the tools).`
      : `Tenant ${tenant} has no tool of its own named "${name}" ("tools list --tenant ${tenant}" shows its tools).`,
  );

const codeConflict = (name: string) =>
  new AdminError(
    'TOOL_CONFLICT',
    `${name} is a code tool (functions/tools): an HTTP tool cannot replace it. Choose another name.`,
  );

const concurrent = (name: string) =>
  new AdminError('CONCURRENT_CHANGE', `${name} changed while this ran (another write got there first): run it again.`);
