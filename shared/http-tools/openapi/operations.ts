/**
 * A dereferenced OpenAPI 3.x document (load.ts) → HTTP tools, purely: one tool per operation, its input schema made
 * of the operation's parameters and JSON request body (schema.ts cleans each schema), its request mapping exactly as
 * ../spec.ts defines it.
 */
import { TOOL_NAME_PATTERN } from '../../tools/naming.js';
import {
  type ArgumentMapping,
  HTTP_METHODS,
  type HttpAuth,
  type HttpMethod,
  type HttpToolSpec,
  httpAuthSchema,
  httpToolSpecSchema,
} from '../spec.js';
import { isObject, type Json, METHODS, type OpenApiDocument, type ServerObject } from './document.js';
import { OpenApiError } from './openapi-error.js';
import { cleanSchema, cloneJson, SchemaBudget, SchemaTooLargeError } from './schema.js';

export interface OpenApiImportOptions {
  /** Prepended to every tool name (`shop_`). */
  prefix?: string;
  /** Only these operations (by `operationId`, or the `method_path` name of one without; its method in any case). */
  include?: readonly string[];
  /** A secret name: requests authenticate as the document's security schemes say, with this secret's value. */
  secret?: string;
  /** Replaces the document's server URL (`servers[0]`). */
  baseUrl?: string;
  /** The document's own URL, for relative server URLs. */
  specUrl?: string;
  /** Which import this is (`importedFrom`); default `openapi:<info.title>`. */
  importedFrom?: string;
  /** Adds each operation's JSON 2xx object schema as the tool's `outputSchema`. */
  outputSchemas?: boolean;
}

/** One tool the import makes: a manifest-to-be (name, description, `http`). */
export interface ImportedTool {
  name: string;
  description: string;
  http: HttpToolSpec;
}

export interface OpenApiImport {
  importedFrom: string;
  tools: ImportedTool[];
  /** Names the document's operations get, included or not (what `--prune` compares against). */
  allNames: string[];
  /** Operations left out or details not carried over, for the operator. */
  warnings: string[];
}

/** Argument names models and clients accept everywhere (some clients restrict property keys to this). */
const ARGUMENT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Headers the runtime owns (auth, framing, hop-by-hop): never arguments. */
const RESERVED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'host',
  'content-length',
  'content-type',
  'accept',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'expect',
]);

const MAX_DESCRIPTION = 2000;

/**
 * Converts a dereferenced OpenAPI 3.x document to HTTP tools, one per operation. A document without operations is
 * refused (`NO_OPERATIONS`): it is a wrong file far more often than an API without any.
 */
export function openApiToTools(document: OpenApiDocument, options: OpenApiImportOptions = {}): OpenApiImport {
  const warnings: string[] = [];
  const importedFrom = options.importedFrom ?? `openapi:${document.info.title}`;
  const prefix = options.prefix ?? '';
  if (prefix && !/^[A-Za-z0-9._-]*$/.test(prefix)) {
    throw new OpenApiError('INVALID_INPUT', `Invalid prefix ${JSON.stringify(prefix)}: use letters, digits and ._-`);
  }
  if (options.secret !== undefined) {
    const check = httpAuthSchema.safeParse({ type: 'bearer', secret: options.secret });
    if (!check.success) {
      throw new OpenApiError(
        'INVALID_INPUT',
        `Invalid secret name ${JSON.stringify(options.secret)}: ${check.error.issues[0]?.message}`,
      );
    }
  }

  const operations = collectOperations(document, prefix, warnings);
  if (operations.length === 0) {
    throw new OpenApiError(
      'NO_OPERATIONS',
      `The document "${document.info.title}" has no operations (nothing under paths): nothing imported.`,
    );
  }
  const allNames = operations.map((operation) => operation.name);
  let selected = operations;
  if (options.include) {
    const known = new Set(operations.flatMap((operation) => [operation.id, operation.name]));
    // `GET_orders_orderId` names `get_orders_orderId`: the method part of a method_path name in any case.
    const wanted = new Set(
      options.include.map((id) => {
        if (known.has(id)) return id;
        const lowered = id.replace(/^([A-Za-z]+)_/, (method: string) => method.toLowerCase());
        return known.has(lowered) ? lowered : id;
      }),
    );
    const unknown = [...wanted].filter((id) => !known.has(id));
    if (unknown.length) {
      throw new OpenApiError(
        'INVALID_INPUT',
        `Unknown operation${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the document has: ${operations
          .map((operation) => operation.id)
          .join(', ')}`,
      );
    }
    selected = operations.filter((operation) => wanted.has(operation.id) || wanted.has(operation.name));
  }

  const tools: ImportedTool[] = [];
  let securityWarned = false;
  for (const operation of selected) {
    const where = `${operation.method} ${operation.path}`;
    if (!(HTTP_METHODS as readonly string[]).includes(operation.method)) {
      warnings.push(`${where}: skipped (${operation.method} requests are not supported)`);
      continue;
    }
    const url = operationUrl(document, operation, options);
    const auth = operationAuth(document, operation, options.secret, warnings);
    if (!options.secret && !securityWarned && securityOf(document, operation).some((req) => Object.keys(req).length)) {
      warnings.push('the document declares security schemes but no --secret was given: the tools send no credentials');
      securityWarned = true;
    }
    let input: InputMapping | undefined;
    try {
      input = inputOf(operation, auth, warnings, new SchemaBudget());
    } catch (error) {
      if (!(error instanceof SchemaTooLargeError)) throw error;
      warnings.push(`${where}: skipped (its input schema is ${error.message})`);
      continue;
    }
    if (!input) continue;
    const description = describe(operation);
    const summary = text(operation.op.summary);
    const http: HttpToolSpec = {
      ...(summary ? { title: bound(summary, 200) } : {}),
      inputSchema: input.schema,
      ...(options.outputSchemas ? outputSchemaOf(operation.op, where, warnings) : {}),
      annotations: annotationsFor(operation.method as HttpMethod),
      request: {
        method: operation.method as HttpMethod,
        url,
        ...(Object.keys(input.arguments).length ? { arguments: input.arguments } : {}),
        ...(input.headers ? { headers: input.headers } : {}),
        ...(input.bodyRequired ? { bodyRequired: true } : {}),
      },
      ...(auth ? { auth } : {}),
      importedFrom,
      ...(operation.op.operationId ? { operationId: String(operation.op.operationId) } : {}),
    };
    const parsed = httpToolSpecSchema.safeParse(http);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      warnings.push(`${where}: skipped (${issue?.path.join('.')}: ${issue?.message})`);
      continue;
    }
    const imported = { name: operation.name, description, http: parsed.data };
    const bytes = Buffer.byteLength(JSON.stringify(imported));
    if (bytes > MAX_TOOL_BYTES) {
      warnings.push(
        `${where}: skipped (its manifest would be ${Math.ceil(bytes / 1024)} KB; at most ${MAX_TOOL_BYTES / 1024} KB is stored per tool)`,
      );
      continue;
    }
    tools.push(imported);
  }
  return { importedFrom, tools, allNames, warnings };
}

interface Operation {
  /** `operationId`, or the `method_path` name when there is none. */
  id: string;
  name: string;
  method: string;
  path: string;
  op: Json;
  pathItem: Json;
}

function collectOperations(document: OpenApiDocument, prefix: string, warnings: string[]): Operation[] {
  const operations: Operation[] = [];
  const taken = new Map<string, string>();
  for (const [path, pathItem] of Object.entries(document.paths ?? {})) {
    if (!pathItem) continue;
    for (const method of METHODS) {
      const op = pathItem[method];
      if (!isObject(op)) continue;
      const operationId = typeof op.operationId === 'string' && op.operationId.trim() ? op.operationId.trim() : '';
      const id = operationId || sanitize(`${method}_${path.replace(/[{}]/g, '')}`);
      let name = sanitize(`${prefix}${operationId || id}`).slice(0, 128);
      const where = `${method.toUpperCase()} ${path}`;
      if (taken.has(name)) {
        let n = 2;
        while (taken.has(`${name.slice(0, 124)}_${n}`)) n++;
        const renamed = `${name.slice(0, 124)}_${n}`;
        warnings.push(`${where}: named ${renamed} (${name} is already ${taken.get(name)})`);
        name = renamed;
      }
      taken.set(name, where);
      operations.push({ id, name, method: method.toUpperCase(), path, op, pathItem });
    }
  }
  return operations;
}

/** Any text → a tool name: runs of other characters become `_`. */
function sanitize(text: string): string {
  const name = text
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  return TOOL_NAME_PATTERN.test(name) ? name : 'operation';
}

function describe(operation: Operation): string {
  const summary = text(operation.op.summary);
  const details = text(operation.op.description);
  const parts = [summary, details && details !== summary ? details : ''].filter(Boolean);
  const route = `(${operation.method} ${operation.path})`;
  const body = bound(parts.join('\n\n'), MAX_DESCRIPTION - route.length - 2);
  return body ? `${body}\n\n${route}` : `${operation.method} ${operation.path}`;
}

const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
const bound = (value: string, max: number) => (value.length <= max ? value : `${value.slice(0, max - 1).trimEnd()}…`);

function operationUrl(document: OpenApiDocument, operation: Operation, options: OpenApiImportOptions): string {
  let base = options.baseUrl;
  if (base === undefined) {
    const servers = [operation.op.servers, operation.pathItem.servers, document.servers].find(
      (list): list is ServerObject[] => Array.isArray(list) && list.length > 0,
    );
    const server = servers?.[0] ?? { url: '/' };
    base = server.url.replace(/\{([^}]+)\}/g, (_, variable: string) => server.variables?.[variable]?.default ?? '');
  }
  let absolute: URL;
  try {
    absolute = new URL(base, options.specUrl);
  } catch {
    throw new OpenApiError(
      'INVALID_INPUT',
      `The server URL ${JSON.stringify(base)} is not absolute and the document was not read from a URL: give --base-url https://…`,
    );
  }
  if (absolute.protocol !== 'http:' && absolute.protocol !== 'https:') {
    throw new OpenApiError(
      'INVALID_INPUT',
      `The server URL ${absolute.href} is not http(s): give --base-url https://…`,
    );
  }
  // Keep `{placeholders}` as they are: URL parsing would percent-encode the braces.
  return `${absolute.href.replace(/\/+$/, '')}/${operation.path.replace(/^\/+/, '')}`;
}

function annotationsFor(method: HttpMethod): HttpToolSpec['annotations'] {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
      return { readOnlyHint: true, openWorldHint: true };
    case 'DELETE':
    case 'PUT':
      return { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true };
    case 'PATCH':
      return { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };
    default:
      return { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true };
  }
}

function securityOf(document: OpenApiDocument, operation: Operation): Record<string, string[]>[] {
  const own = operation.op.security;
  return (Array.isArray(own) ? own : (document.security ?? [])) as Record<string, string[]>[];
}

/** The operation's security requirement as `auth`, reading the credential from `secret`. */
function operationAuth(
  document: OpenApiDocument,
  operation: Operation,
  secret: string | undefined,
  warnings: string[],
): HttpAuth | undefined {
  if (!secret) return undefined;
  const where = `${operation.method} ${operation.path}`;
  const schemes = document.components?.securitySchemes ?? {};
  let requirements = securityOf(document, operation);
  if (requirements.length === 0) {
    // Specs often define one scheme and forget to require it: use it.
    const names = Object.keys(schemes);
    if (names.length !== 1) return undefined;
    requirements = [{ [names[0]!]: [] }];
  }
  if (requirements.some((requirement) => Object.keys(requirement).length === 0)) return undefined; // optional auth
  const problems: string[] = [];
  for (const requirement of requirements) {
    const names = Object.keys(requirement);
    const mapped = names.map((name) => authFor(schemes[name], secret));
    if (mapped.every((auth) => typeof auth !== 'string')) {
      if (names.length > 1) warnings.push(`${where}: needs ${names.join(' + ')}; only ${names[0]} is sent`);
      const auth = mapped[0] as HttpAuth;
      return auth;
    }
    problems.push(...mapped.filter((auth): auth is string => typeof auth === 'string'));
  }
  warnings.push(`${where}: no credentials sent (${[...new Set(problems)].join('; ')})`);
  return undefined;
}

/** A security scheme as `auth`, or why it cannot be. */
function authFor(scheme: Json | undefined, secret: string): HttpAuth | string {
  if (!scheme) return 'an undefined security scheme';
  const type = String(scheme.type);
  if (type === 'http') {
    const kind = String(scheme.scheme ?? '').toLowerCase();
    if (kind === 'bearer') return { type: 'bearer', secret };
    if (kind === 'basic') return { type: 'basic', secret };
    return `the http "${kind}" scheme is not supported`;
  }
  if (type === 'apiKey') {
    const name = String(scheme.name ?? '');
    if (scheme.in === 'header') {
      return { type: 'header', secret, name }; // an `Authorization` key is sent as is: the secret holds the whole value
    }
    if (scheme.in === 'query') return { type: 'query', secret, name };
    return `an API key in a ${String(scheme.in)} is not supported`;
  }
  // oauth2 / openIdConnect: the secret holds an access token, sent as a bearer token.
  if (type === 'oauth2' || type === 'openIdConnect') return { type: 'bearer', secret };
  return `the "${type}" scheme is not supported`;
}

interface InputMapping {
  schema: Json;
  arguments: Record<string, ArgumentMapping>;
  headers?: Record<string, string>;
  /** The body is required but no argument of it is: `{}` is sent when none is given. */
  bodyRequired?: boolean;
}

/** The tool's input schema and argument mapping, or undefined (with a warning) when the operation cannot be called. */
function inputOf(
  operation: Operation,
  auth: HttpAuth | undefined,
  warnings: string[],
  budget: SchemaBudget,
): InputMapping | undefined {
  const where = `${operation.method} ${operation.path}`;
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const mapping: Record<string, ArgumentMapping> = {};
  const authHeader = auth?.type === 'header' ? auth.name.toLowerCase() : undefined;
  const authQuery = auth?.type === 'query' ? auth.name : undefined;

  // Operation parameters override path-level ones with the same name and location.
  const parameters = new Map<string, Json>();
  for (const list of [operation.pathItem.parameters, operation.op.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const parameter of list)
      if (isObject(parameter)) parameters.set(`${parameter.in}:${parameter.name}`, parameter);
  }
  for (const parameter of parameters.values()) {
    const wire = String(parameter.name);
    const location = String(parameter.in);
    if (location === 'cookie') {
      warnings.push(`${where}: cookie parameter ${wire} left out`);
      continue;
    }
    if (location === 'header' && (RESERVED_HEADERS.has(wire.toLowerCase()) || wire.toLowerCase() === authHeader)) {
      continue;
    }
    if (location === 'query' && wire === authQuery) continue;
    if (location !== 'path' && location !== 'query' && location !== 'header') continue;
    const name = argumentName(wire, location, properties);
    const schema = parameterSchema(parameter, budget);
    properties[name] = schema;
    if (parameter.required === true || location === 'path') required.push(name);
    mapping[name] = { in: location, ...(name !== wire ? { name: wire } : {}) };
  }

  let headers: Record<string, string> | undefined;
  let emptyBodyNeeded = false;
  const body = operation.op.requestBody;
  if (isObject(body)) {
    const content = isObject(body.content) ? body.content : {};
    const mediaType =
      Object.keys(content).find((type) => type.toLowerCase().split(';')[0]!.trim() === 'application/json') ??
      Object.keys(content).find((type) => /^[^;]*\+json\s*(;|$)/i.test(type));
    const bodyRequired = body.required === true;
    if (!mediaType) {
      const types = Object.keys(content).join(', ') || 'none';
      if (bodyRequired) {
        warnings.push(`${where}: skipped (its request body is ${types}; only JSON bodies are sent)`);
        return undefined;
      }
      warnings.push(`${where}: its optional ${types} request body is left out (only JSON bodies are sent)`);
    } else {
      if (mediaType.toLowerCase() !== 'application/json') headers = { 'Content-Type': mediaType };
      const media = content[mediaType];
      const raw = isObject(media) && isObject(media.schema) ? media.schema : {};
      const schema = cleanSchema(raw, 'input', [], budget);
      if (typeof schema.description !== 'string' && text(body.description)) schema.description = text(body.description);
      const flat = flattenable(schema);
      const collides =
        flat && Object.keys(flat.properties).some((key) => key in properties || !ARGUMENT_NAME.test(key));
      if (flat && !collides) {
        for (const [key, value] of Object.entries(flat.properties)) {
          properties[key] = value;
          mapping[key] = { in: 'body' };
        }
        const requiredKeys = flat.required.filter((key) => key in flat.properties);
        if (bodyRequired) required.push(...requiredKeys);
        emptyBodyNeeded = bodyRequired && requiredKeys.length === 0;
      } else {
        const name = 'body' in properties ? 'request_body' : 'body';
        properties[name] = schema;
        mapping[name] = { in: 'whole-body' };
        if (bodyRequired) required.push(name);
      }
    }
  }

  const schema: Json = { type: 'object', properties, additionalProperties: false };
  if (required.length) schema.required = [...new Set(required)];
  return {
    schema,
    arguments: mapping,
    ...(headers ? { headers } : {}),
    ...(emptyBodyNeeded ? { bodyRequired: true } : {}),
  };
}

/** The argument name for a parameter: its own when usable and free, else a safe one. */
function argumentName(wire: string, location: string, taken: Record<string, unknown>): string {
  const safe =
    wire
      .replace(/[^A-Za-z0-9_.-]+/g, '_')
      .replace(/_+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 64) || location;
  if (!(safe in taken)) return safe;
  const qualified = `${location}_${safe}`.slice(0, 64);
  let name = qualified;
  for (let n = 2; name in taken; n++) name = `${qualified.slice(0, 60)}_${n}`;
  return name;
}

function parameterSchema(parameter: Json, budget: SchemaBudget): Json {
  let raw: Json = isObject(parameter.schema) ? parameter.schema : {};
  if (!isObject(parameter.schema) && isObject(parameter.content)) {
    const first = Object.values(parameter.content)[0];
    if (isObject(first) && isObject(first.schema)) raw = first.schema;
  }
  const schema = cleanSchema(raw, 'input', [], budget);
  if (typeof parameter.description === 'string' && parameter.description.trim()) {
    schema.description = parameter.description.trim();
  }
  if (parameter.example !== undefined && schema.examples === undefined) {
    schema.examples = [cloneJson(parameter.example, budget)];
  }
  if (parameter.deprecated === true) schema.deprecated = true;
  return schema;
}

/** An object body whose named properties can each be an argument: its properties and required names. */
function flattenable(schema: Json): { properties: Record<string, unknown>; required: string[] } | undefined {
  const parts = Array.isArray(schema.allOf) ? [schema, ...(schema.allOf as Json[])] : [schema];
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const part of parts) {
    if (!isObject(part)) return undefined;
    if (part.type !== undefined && part.type !== 'object') return undefined;
    if (part.oneOf || part.anyOf || part.not || part.if || part.patternProperties) return undefined;
    if (part.additionalProperties !== undefined && part.additionalProperties !== false) return undefined;
    if (part !== schema && part.allOf) return undefined;
    if (isObject(part.properties)) Object.assign(properties, part.properties);
    if (Array.isArray(part.required)) required.push(...(part.required as string[]));
  }
  if (Object.keys(properties).length === 0) return undefined;
  if (schema.type === undefined && !isObject(schema.properties) && !Array.isArray(schema.allOf)) return undefined;
  return { properties, required: [...new Set(required)] };
}

function outputSchemaOf(op: Json, where: string, warnings: string[]): { outputSchema?: Json } {
  const responses = isObject(op.responses) ? op.responses : {};
  const status = Object.keys(responses)
    .filter((code) => /^2(\d\d|XX)$/i.test(code))
    .sort()[0];
  const response = status ? responses[status] : undefined;
  if (!isObject(response) || !isObject(response.content)) return {};
  const media = Object.entries(response.content).find(([type]) => /^application\/([^;]*\+)?json\b/i.test(type))?.[1];
  if (!isObject(media) || !isObject(media.schema)) return {};
  let schema: Json;
  try {
    schema = cleanSchema(media.schema, 'output', [], new SchemaBudget());
  } catch (error) {
    if (!(error instanceof SchemaTooLargeError)) throw error;
    warnings.push(`${where}: outputSchema left out (it is ${error.message})`);
    return {};
  }
  if (schema.type === undefined && flattenable(schema)) schema.type = 'object';
  if (schema.type !== 'object') return {};
  return { outputSchema: schema };
}
/** The most one tool's manifest (name, description, `http`) may be as JSON: well below DynamoDB's 400 KB item limit. */
export const MAX_TOOL_BYTES = 256 * 1024;
