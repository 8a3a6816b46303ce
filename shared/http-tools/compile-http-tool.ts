import { createHash } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Logger } from '../logging/logger.js';
import { redactor as processRedactor, Redactor, tenantRedactors } from '../logging/redactor.js';
import { parseToolKey, type ToolManifest } from '../store/tool-manifests.js';
import type { HttpToolDefinition, ToolAnnotations, ToolContext } from '../tools/define-tool.js';
import { compileSchema, type Validate } from '../tools/json-schema.js';
import { TOOL_NAME_PATTERN } from '../tools/naming.js';
import { paramHeadersOf } from '../tools/param-headers.js';
import { AUTH_SECRET_BINDING, injectAuth } from './auth-injection.js';
import { createHostAllowlist } from './outbound/host-allowlist.js';
import { createOutboundClient, type OutboundClient, type OutboundOptions } from './outbound/outbound-client.js';
import { analyseRequest, mapRequest, missingPathArguments, type RequestPlan } from './request-mapping.js';
import { DEFAULT_MAX_BYTES, mapResponse } from './response-mapping.js';
import { type HttpMethod, type HttpToolSpec, httpToolSpecSchema, IDEMPOTENT_METHODS, issueLines } from './spec.js';

/** Extra attempts of an idempotent request unless the manifest says otherwise. */
export const DEFAULT_RETRIES = 2;
const USER_AGENT = 'mcp-cluster';
const ACCEPT = 'application/json, */*;q=0.5';

/** Hints a client gets when the manifest sets none: derived from the method, each overridable by the manifest. */
export function defaultAnnotations(method: HttpMethod): ToolAnnotations {
  const readOnly = method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
  return {
    ...(readOnly ? { readOnlyHint: true } : {}),
    ...(method === 'DELETE' ? { destructiveHint: true } : {}),
    ...(!readOnly ? { idempotentHint: IDEMPOTENT_METHODS.has(method) } : { idempotentHint: true }),
    openWorldHint: true,
  };
}

export interface CompileOptions {
  outbound: OutboundClient;
  redactor?: Redactor;
}

/**
 * Compiles a manifest into a served definition: JSON Schemas checked and compiled (ajv), the URL template and argument
 * mapping checked against the input schema. Throws, naming the problem, when the manifest cannot work.
 */
export function compileHttpTool(
  name: string,
  spec: HttpToolSpec,
  description: string,
  options: CompileOptions,
): HttpToolDefinition {
  if (!TOOL_NAME_PATTERN.test(name)) throw new Error(`tool name must match ${TOOL_NAME_PATTERN}`);
  const { problems, validateInput, validateOutput, plan: analysed } = analyse(spec);
  if (problems.length || !validateInput || !analysed) throw new Error(problems.join('; '));
  const plan: RequestPlan = analysed;
  const allowedHosts = createHostAllowlist(
    spec.request.allowedHosts ?? [new URL(plan.template.replace(/\{[^{}]+\}/g, 'x')).host],
  );
  const maxBytes = spec.response?.maxBytes ?? DEFAULT_MAX_BYTES;
  const retries = spec.request.retries ?? DEFAULT_RETRIES;
  const redactor = options.redactor ?? processRedactor;
  const annotations = { ...defaultAnnotations(spec.request.method), ...(spec.annotations ?? {}) };
  const checkOutput = validateOutput
    ? (value: unknown) => {
        const checked = validateOutput(value);
        return checked.valid ? undefined : checked.issues.map((i) => `${i.field}: ${i.message}`).join('; ');
      }
    : undefined;

  async function run(args: unknown, ctx: ToolContext): Promise<CallToolResult> {
    const request = mapRequest(plan, args as Record<string, unknown>);
    // The answer is scrubbed of this call's credential (in every form it was sent) and nothing else: scrubbing it of
    // other callers' secrets would tell this caller which text is one. The process-wide redactor learns the forms too,
    // for the logs.
    const scrubber = Redactor.of(Object.values(ctx.secrets));
    const auth = spec.auth ? injectAuth(spec.auth, ctx.secrets[AUTH_SECRET_BINDING], scrubber) : undefined;
    redactor.addAll(scrubber);
    tenantRedactors.for(ctx.principal.tenant).addAll(scrubber);
    if (auth?.query) request.url.searchParams.set(auth.query[0], auth.query[1]);
    const response = await options.outbound.send({
      method: spec.request.method,
      url: request.url,
      headers: { 'user-agent': USER_AGENT, accept: ACCEPT, ...request.headers, ...auth?.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
      allowedHosts,
      credentialHeaders: auth?.credentialHeaders ?? [],
      ...(auth?.query ? { credentialQuery: auth.query[0] } : {}),
      maxBytes,
      retries,
      signal: ctx.signal,
      ...(ctx.deadline === undefined ? {} : { deadline: ctx.deadline }),
    });
    ctx.logger.debug('upstream answered', {
      status: response.status,
      attempts: response.attempts,
      host: response.url.host,
    });
    return mapResponse(response, checkOutput, scrubber);
  }

  return Object.freeze({
    kind: 'http' as const,
    name,
    ...(spec.title ? { title: spec.title } : {}),
    description,
    inputJsonSchema: spec.inputSchema,
    ...(spec.outputSchema ? { outputJsonSchema: spec.outputSchema } : {}),
    annotations,
    scopes: Object.freeze([]) as readonly string[],
    secrets: Object.freeze<Record<string, string>>(spec.auth ? { [AUTH_SECRET_BINDING]: spec.auth.secret } : {}),
    ...(spec.request.timeoutMs ? { timeoutMs: spec.request.timeoutMs } : {}),
    auditArguments: false,
    validate(args: unknown) {
      const checked = validateInput(args);
      if (!checked.valid) return { success: false as const, issues: checked.issues };
      const missing = missingPathArguments(plan, args as Record<string, unknown>);
      if (missing.length)
        return { success: false as const, issues: missing.map((field) => ({ field, message: 'is required' })) };
      return { success: true as const, data: args };
    },
    run,
    toResult: (value: unknown) => value as CallToolResult,
  });
}

/**
 * Every reason a manifest's spec would not compile (none: it compiles), each naming its field: the schemas, the URL
 * template, where each argument goes, the fixed headers. What `compileHttpTool` refuses, all at once.
 */
export function httpToolProblems(spec: HttpToolSpec): string[] {
  return analyse(spec).problems;
}

function analyse(spec: HttpToolSpec): {
  problems: string[];
  validateInput?: Validate;
  validateOutput?: Validate;
  plan?: RequestPlan;
} {
  const problems: string[] = [];
  if (spec.inputSchema.type !== 'object') problems.push('inputSchema.type: must be "object"');
  const compiled = (field: 'inputSchema' | 'outputSchema'): Validate | undefined => {
    const schema = spec[field];
    if (!schema) return undefined;
    try {
      return compileSchema(schema);
    } catch (error) {
      problems.push(`${field}: not a valid JSON Schema (${(error as Error).message})`);
      return undefined;
    }
  };
  problems.push(...paramHeadersOf(spec.inputSchema).problems);
  const validateInput = compiled('inputSchema');
  const validateOutput = compiled('outputSchema');
  const declared = spec.inputSchema.properties;
  const properties = declared && typeof declared === 'object' ? Object.keys(declared) : [];
  const authHeader = spec.auth?.type === 'header' ? spec.auth.name : undefined;
  const request = analyseRequest(spec.request, properties, authHeader);
  problems.push(...request.problems);
  const queryAuth = spec.auth?.type === 'query' ? spec.auth.name : undefined;
  for (const [argument, location] of request.plan.locations) {
    if (queryAuth && location.in === 'query' && location.name === queryAuth) {
      problems.push(
        `request.arguments.${argument}: goes to the query parameter "${queryAuth}", which carries the credential`,
      );
    }
  }
  const plan = request.problems.length ? undefined : request.plan;
  return {
    problems,
    ...(validateInput ? { validateInput } : {}),
    ...(validateOutput ? { validateOutput } : {}),
    ...(plan ? { plan } : {}),
  };
}

/** JSON with sorted keys: the same spec digests the same whatever order DynamoDB returns its map's keys in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface HttpToolCompiler {
  /** The served definitions of the `source: 'http'` manifests that compile; the others are logged and skipped. */
  compile(manifests: Iterable<ToolManifest>): Map<string, HttpToolDefinition>;
}

/**
 * Compiles manifests, remembering the result per name, version and spec digest, so a registry refresh that changes
 * nothing compiles nothing (ajv compilation is the expensive part). A manifest that does not compile is skipped with
 * one warning, never breaking the registry.
 */
export function createHttpToolCompiler(options: {
  outbound: OutboundOptions | OutboundClient;
  logger: Logger;
  redactor?: Redactor;
}): HttpToolCompiler {
  const outbound = 'send' in options.outbound ? options.outbound : createOutboundClient(options.outbound);
  let cache = new Map<string, HttpToolDefinition | Error>();
  return {
    compile(manifests) {
      const next = new Map<string, HttpToolDefinition | Error>();
      const served = new Map<string, HttpToolDefinition>();
      for (const manifest of manifests) {
        if (manifest.source !== 'http' || !manifest.http) continue;
        const description = manifest.description ?? '';
        const key = `${manifest.SK}#${manifest.version}#${createHash('sha256')
          .update(canonicalJson({ http: manifest.http, description }))
          .digest('base64url')}`;
        let compiled = cache.get(key);
        if (compiled === undefined) {
          try {
            // The registry checked only that `http` is an object; the spec itself is checked here.
            const spec = httpToolSpecSchema.safeParse(manifest.http);
            if (!spec.success) throw new Error(issueLines(spec.error.issues, ['http']).join('; '));
            compiled = compileHttpTool(parseToolKey(manifest.SK).name, spec.data, description, {
              outbound,
              ...(options.redactor ? { redactor: options.redactor } : {}),
            });
          } catch (error) {
            compiled = error instanceof Error ? error : new Error(String(error));
            options.logger.warn('skipping HTTP tool whose manifest does not compile', {
              tool: manifest.SK,
              version: manifest.version,
              problem: compiled.message,
            });
          }
        }
        next.set(key, compiled);
        if (!(compiled instanceof Error)) served.set(manifest.SK, compiled);
      }
      cache = next;
      return served;
    },
  };
}
