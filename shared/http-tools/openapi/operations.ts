/**
 * OpenAPI 3.x → HTTP tool manifests. `loadOpenApi` reads, validates and dereferences a document (JSON or YAML, a file
 * or a URL) with swagger-parser; `openApiToTools` is pure: one tool per operation, its input schema made of the
 * operation's parameters and JSON request body, its request mapping exactly as http-tools/spec.ts defines it.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { readFile, realpath } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { dirname, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { AdminError } from '../../admin/admin-error.js';
import { TOOL_NAME_PATTERN } from '../../tools/naming.js';
import { classifyAddress } from '../outbound/address-policy.js';
import {
  type ArgumentMapping,
  HTTP_METHODS,
  type HttpAuth,
  type HttpMethod,
  type HttpToolSpec,
  httpAuthSchema,
  httpToolSpecSchema,
} from '../spec.js';

type Json = Record<string, unknown>;

/** A dereferenced OpenAPI 3.0 or 3.1 document (only what the import reads is typed). */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version?: string };
  servers?: ServerObject[];
  paths?: Record<string, Json | undefined>;
  components?: { securitySchemes?: Record<string, Json> };
  security?: Record<string, string[]>[];
}

interface ServerObject {
  url: string;
  variables?: Record<string, { default: string }>;
}

export interface LoadedOpenApi {
  document: OpenApiDocument;
  /** Where it came from: a file path or a URL. */
  source: string;
  /** The URL it came from, if it did (relative server URLs resolve against it). */
  specUrl?: string;
  /** What was read leniently (a numeric `info.version`), for the operator. */
  warnings: string[];
}

const isUrl = (text: string) => /^https?:\/\//i.test(text);

/** The most a `$ref` (or the document itself) may be, how long it may take and how often it may redirect. */
const REF_MAX_BYTES = 10 * 1024 * 1024;
const REF_TIMEOUT_MS = 20_000;
const REF_MAX_REDIRECTS = 5;

/**
 * Why reading the document or a `$ref` failed, or was refused: recorded by the resolvers and reported by
 * `loadOpenApi` (json-schema-ref-parser replaces the message of errors that are not its own).
 */
interface RefProblem {
  url: string;
  why: string;
  refused?: boolean;
}

/** What the resolvers refuse, with a message that names the URL. */
class RefRefusedError extends Error {
  constructor(readonly refusal: RefProblem) {
    super(`refused ${refusal.url}: ${refusal.why}`);
  }
}

/** A connection `guardedLookup` refused. */
class AddressRefusedError extends Error {}

/** Why an address may not be reached, or undefined. Forbidden ranges never; private ones only on the spec's origin. */
function addressRefusal(address: string, allowPrivate: boolean): string | undefined {
  const kind = classifyAddress(address);
  if (kind === 'forbidden') return 'a link-local, metadata or otherwise reserved address';
  if (kind === 'private' && !allowPrivate) {
    return "a private or loopback address (only the document's own origin may be one)";
  }
  return undefined;
}

/** A `lookup` for http(s).request that resolves the name and refuses the connection if any address is not allowed. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      for (const { address } of addresses) {
        const why = addressRefusal(address, allowPrivate);
        if (why) return callback(new AddressRefusedError(`${hostname} resolves to ${address}, ${why}`), '', 0);
      }
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return (callback as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      callback(null, first.address, first.family);
    });
  };
}

interface Fetched {
  status: number;
  location?: string;
  body: Buffer;
}

/** One GET, no redirects followed, connecting only to addresses `guardedLookup` allows, bounded in time and size. */
function getOnce(url: URL, allowPrivate: boolean, deadline: number): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (error: Error | undefined, result?: Fetched) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        request.destroy();
        reject(error);
      } else resolve(result!);
    };
    const request = send(
      url,
      {
        method: 'GET',
        agent: false,
        lookup: guardedLookup(allowPrivate),
        headers: { accept: 'application/json, application/yaml;q=0.9, */*;q=0.8' },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          response.resume();
          return finish(undefined, { status, location: response.headers.location, body: Buffer.alloc(0) });
        }
        if (status >= 400) {
          response.resume();
          return finish(new Error(`HTTP ${status} from ${url.href}`));
        }
        if (Number(response.headers['content-length']) > REF_MAX_BYTES) {
          return finish(new Error(`${url.href} is larger than ${REF_MAX_BYTES / 1024 / 1024} MB`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > REF_MAX_BYTES) finish(new Error(`${url.href} is larger than ${REF_MAX_BYTES / 1024 / 1024} MB`));
          else chunks.push(chunk);
        });
        response.on('end', () => finish(undefined, { status, body: Buffer.concat(chunks) }));
        response.on('error', (error) => finish(error));
        response.on('close', () => {
          if (!response.complete) finish(new Error(`${url.href}: the connection closed before the end`));
        });
      },
    );
    const timer = setTimeout(
      () => finish(new Error(`${url.href} did not answer within ${REF_TIMEOUT_MS / 1000} s`)),
      Math.max(0, deadline - Date.now()),
    );
    request.on('error', (error) => finish(error));
    request.end();
  });
}

/**
 * Reads the document or one of its `$ref`s over http(s). Every hop (redirects are followed here, at most 5) connects
 * only to public addresses, checked when the name resolves (so names that resolve to loopback and redirects to
 * internal hosts are refused too), except that the document's own origin may be private (operators import from their
 * own servers); link-local, metadata and reserved addresses never.
 */
async function readHttpRef(ref: string, specOrigin: string | undefined): Promise<Buffer> {
  const deadline = Date.now() + REF_TIMEOUT_MS;
  let url = new URL(ref);
  for (let hop = 0; ; hop++) {
    const refused = (why: string) =>
      new RefRefusedError({ url: ref, why: hop ? `it redirects to ${url.href}, and ${why}` : why });
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused(`${url.protocol} URLs are not read`);
    const allowPrivate = url.origin === specOrigin;
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal)) {
      const why = addressRefusal(literal, allowPrivate);
      if (why) throw refused(`${literal} is ${why}`);
    }
    let fetched: Fetched;
    try {
      fetched = await getOnce(url, allowPrivate, deadline);
    } catch (error) {
      throw error instanceof AddressRefusedError ? refused(error.message) : error;
    }
    if (fetched.location === undefined) {
      if (fetched.status >= 300) throw new Error(`HTTP ${fetched.status} from ${url.href} without a Location`);
      return fetched.body;
    }
    if (hop >= REF_MAX_REDIRECTS) throw new Error(`${ref}: more than ${REF_MAX_REDIRECTS} redirects`);
    url = new URL(fetched.location, url);
  }
}

/** json-schema-ref-parser's own test for a file path (no `scheme://`, or `file://`). */
const isFileRef = (url: string) => {
  const protocol = /^(\w{2,}):\/\//i.exec(url)?.[1]?.toLowerCase();
  return protocol === undefined || protocol === 'file';
};

/** The file a file `$ref` names (json-schema-ref-parser passes absolute paths, URI-encoded, or `file://` URLs). */
const refPath = (url: string) => fileURLToPath(/^file:/i.test(url) ? url : new URL(url, 'file:///'));

/**
 * The resolvers a document is read with (json-schema-ref-parser's `resolve` option), and what they refused:
 * - read from a URL: http(s) only (`readHttpRef`); a `file:` `$ref` is refused (a remote document must not read
 *   the operator's files into tool descriptions);
 * - read from a file: files inside the document's own directory (symlinks and `..` resolved first), and http(s)
 *   `$ref`s to public hosts.
 */
function refResolvers(source: string) {
  const refusals: RefProblem[] = [];
  const refuse = (refusal: RefProblem): never => {
    refusals.push({ ...refusal, refused: true });
    throw new RefRefusedError(refusal);
  };
  const failed = (url: string, error: unknown): never => {
    refusals.push({ url, why: messageOf(error) });
    throw error;
  };
  const specOrigin = isUrl(source) ? new URL(source).origin : undefined;
  const specPath = isUrl(source) ? undefined : resolvePath(source);
  let root: Promise<string> | undefined;
  const http = {
    order: 200,
    canRead: (file: { url: string }) => /^https?:\/\//i.test(file.url),
    async read(file: { url: string }) {
      try {
        return await readHttpRef(file.url, specOrigin);
      } catch (error) {
        if (error instanceof RefRefusedError) refuse(error.refusal);
        return failed(file.url, error);
      }
    },
  };
  const file = {
    order: 100,
    canRead: (file: { url: string }) => isFileRef(file.url),
    async read(file: { url: string }) {
      if (!specPath) return refuse({ url: file.url, why: 'a document read from a URL may not read local files' });
      let directory: string;
      let real: string;
      try {
        const path = refPath(file.url);
        if (path === specPath) return await readFile(path);
        root ??= realpath(dirname(specPath));
        directory = await root;
        real = await realpath(path);
      } catch (error) {
        return failed(file.url, error);
      }
      if (real !== directory && !real.startsWith(`${directory}${sep}`)) {
        return refuse({
          url: file.url,
          why: `only files inside the document's own directory (${directory}) are read, and this is ${real}`,
        });
      }
      return readFile(real).catch((error: unknown) => failed(file.url, error));
    },
  };
  return { resolve: { file, http, external: true }, refusals };
}

/** The error for a document or `$ref` that could not be read, or was refused, if one was. */
function refProblemError(source: string, refusals: RefProblem[], cause: unknown): AdminError | undefined {
  const refusal = refusals.find((candidate) => candidate.refused) ?? refusals[0];
  if (!refusal) return undefined;
  const root =
    refusal.url === source ||
    (!isUrl(source) && isFileRef(refusal.url) && safePath(refusal.url) === resolvePath(source));
  const what = root
    ? refusal.refused
      ? 'refused: '
      : ''
    : `$ref ${JSON.stringify(refusal.url)}${refusal.refused ? ' refused' : ''}: `;
  return new AdminError('INVALID_SPEC', `Cannot read the OpenAPI document ${source}: ${what}${refusal.why}`, { cause });
}

const safePath = (url: string) => {
  try {
    return refPath(url);
  } catch {
    return undefined;
  }
};

/**
 * Reads an OpenAPI 3.x document from a file or an http(s) URL, validates it against the OpenAPI schema and resolves
 * every `$ref` (local, other files in its directory, URLs; see `refResolvers`). Circular references stay circular
 * objects (`openApiToTools` cuts them).
 */
export async function loadOpenApi(source: string): Promise<LoadedOpenApi> {
  const parser = new SwaggerParser();
  const { resolve, refusals } = refResolvers(source);
  const warnings: string[] = [];
  let parsed: Json;
  try {
    parsed = (await parser.parse(source, { resolve } as never)) as unknown as Json;
  } catch (error) {
    // swagger-parser checks details (a numeric `info.version`) before saying which format the document is in; the
    // document it read is kept on the parser, so the format is decided first here.
    const read = (parser as unknown as { schema?: unknown }).schema;
    if (isObject(read) && read.swagger !== undefined) throw swaggerError(source, read.swagger);
    if (isObject(read) && typeof read.openapi === 'string' && isObject(read.info) && numericVersion(read.info)) {
      // The import never uses the API's version: a YAML `version: 1` is read as the string it was meant to be.
      warnings.push(`info.version is the number ${read.info.version}, read as "${read.info.version}"`);
      read.info.version = String(read.info.version);
      parsed = read;
    } else {
      throw (
        refProblemError(source, refusals, error) ??
        new AdminError('INVALID_SPEC', `Cannot read the OpenAPI document ${source}: ${messageOf(error)}`, {
          cause: error,
        })
      );
    }
  }
  if (parsed.swagger !== undefined) throw swaggerError(source, parsed.swagger);
  try {
    const document = (await new SwaggerParser().validate(
      source,
      parsed as never,
      { dereference: { circular: true }, resolve } as never,
    )) as unknown as OpenApiDocument;
    if (isUrl(source)) restorePorts(document, new URL(source));
    return { document, source, ...(isUrl(source) ? { specUrl: source } : {}), warnings };
  } catch (error) {
    throw (
      refProblemError(source, refusals, error) ??
      new AdminError('INVALID_SPEC', `${source} is not a valid OpenAPI document: ${validationProblems(error)}`, {
        cause: error,
      })
    );
  }
}

const numericVersion = (info: Json) => typeof info.version === 'number';

/** Swagger 2.0 (`swagger: "2.0"`, or `2.0` unquoted in YAML, a number) is refused before anything else is checked. */
function swaggerError(source: string, version: unknown): AdminError {
  const shown = typeof version === 'number' && Number.isInteger(version) ? version.toFixed(1) : String(version);
  return new AdminError(
    'INVALID_SPEC',
    `${source} is Swagger ${shown}: only OpenAPI 3.x is imported (convert it first, e.g. with swagger2openapi).`,
  );
}

/**
 * swagger-parser resolves a server URL starting with `/` against the document's URL as `protocol//hostname/…`,
 * dropping the port: put the document's port back (`http://127.0.0.1:8080/openapi.json` with `/api` is
 * `http://127.0.0.1:8080/api`).
 */
function restorePorts(document: OpenApiDocument, specUrl: URL): void {
  if (!specUrl.port) return;
  const portless = `${specUrl.protocol}//${specUrl.hostname}/`;
  const fix = (servers: unknown) => {
    if (!Array.isArray(servers)) return;
    for (const server of servers) {
      if (isObject(server) && typeof server.url === 'string' && server.url.startsWith(portless)) {
        server.url = `${specUrl.origin}/${server.url.slice(portless.length)}`;
      }
    }
  };
  fix(document.servers);
  for (const pathItem of Object.values(document.paths ?? {})) {
    if (!pathItem) continue;
    fix(pathItem.servers);
    for (const method of METHODS) if (isObject(pathItem[method])) fix((pathItem[method] as Json).servers);
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!;

/**
 * What the validator found, each problem at its place in the document (`paths./pets/{id}.get: must have required
 * property 'responses'`), the first five and how many more; a parser's own message otherwise.
 */
function validationProblems(error: unknown): string {
  const details = (error as { details?: unknown }).details;
  if (!Array.isArray(details) || details.length === 0) return messageOf(error);
  const problems = [
    ...new Set(
      details.map((detail: { instancePath?: unknown; message?: unknown }) => {
        const place = String(detail.instancePath ?? '')
          .split('/')
          .slice(1)
          .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
          .join('.');
        return `${place || '(the document)'}: ${String(detail.message ?? 'is invalid')}`;
      }),
    ),
  ];
  const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
  return `${problems.slice(0, 5).join('; ')}${more}`;
}

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

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

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
    throw new AdminError('INVALID_INPUT', `Invalid prefix ${JSON.stringify(prefix)}: use letters, digits and ._-`);
  }
  if (options.secret !== undefined) {
    const check = httpAuthSchema.safeParse({ type: 'bearer', secret: options.secret });
    if (!check.success) {
      throw new AdminError(
        'INVALID_INPUT',
        `Invalid secret name ${JSON.stringify(options.secret)}: ${check.error.issues[0]?.message}`,
      );
    }
  }

  const operations = collectOperations(document, prefix, warnings);
  if (operations.length === 0) {
    throw new AdminError(
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
      throw new AdminError(
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
    throw new AdminError(
      'INVALID_INPUT',
      `The server URL ${JSON.stringify(base)} is not absolute and the document was not read from a URL: give --base-url https://…`,
    );
  }
  if (absolute.protocol !== 'http:' && absolute.protocol !== 'https:') {
    throw new AdminError('INVALID_INPUT', `The server URL ${absolute.href} is not http(s): give --base-url https://…`);
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

/**
 * JSON Schema keywords kept (draft-07, what JSON Schema validators compile everywhere). OpenAPI-only keywords
 * (`nullable`, `example`, `xml`, `discriminator`, `externalDocs`, `x-…`) are translated or dropped.
 */
const SCHEMA_KEYWORDS = new Set([
  'type',
  'enum',
  'const',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'format',
  'multipleOf',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'items',
  'maxItems',
  'minItems',
  'uniqueItems',
  'contains',
  'properties',
  'patternProperties',
  'additionalProperties',
  'required',
  'maxProperties',
  'minProperties',
  'propertyNames',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'contentMediaType',
  'contentEncoding',
]);

/** Formats JSON Schema validators know (ajv-formats' full set); others are dropped, not to fail compilation. */
const KNOWN_FORMATS = new Set([
  'date',
  'time',
  'date-time',
  'iso-time',
  'iso-date-time',
  'duration',
  'uri',
  'uri-reference',
  'uri-template',
  'url',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'regex',
  'uuid',
  'json-pointer',
  'json-pointer-uri-fragment',
  'relative-json-pointer',
  'byte',
  'int32',
  'int64',
  'float',
  'double',
  'password',
  'binary',
]);

const SCHEMA_MAPS = new Set(['properties', 'patternProperties']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);
const SCHEMA_VALUES = new Set(['additionalProperties', 'contains', 'propertyNames', 'not', 'if', 'then', 'else']);

export const RECURSIVE_SCHEMA_NOTE = 'Recursive: the same shape as an enclosing value (not expanded further).';

/**
 * The most nodes (schemas and values inside them) one tool's input, or output, schema may have once its `$ref`s are
 * expanded: a document that reuses one schema ten times at each of six levels expands to a million.
 */
export const MAX_SCHEMA_NODES = 20_000;

/** The most one tool's manifest (name, description, `http`) may be as JSON: well below DynamoDB's 400 KB item limit. */
export const MAX_TOOL_BYTES = 256 * 1024;

/** What `cleanSchema` may still expand for one schema; throws `SchemaTooLargeError` past it. */
export class SchemaBudget {
  constructor(private left = MAX_SCHEMA_NODES) {}
  spend(): void {
    if (--this.left < 0)
      throw new SchemaTooLargeError(`larger than ${MAX_SCHEMA_NODES} nodes once its $refs are expanded`);
  }
}

class SchemaTooLargeError extends Error {}

/** A JSON value from the document as a fresh tree (values that contain themselves become null), within the budget. */
function cloneJson(value: unknown, budget: SchemaBudget, ancestors: unknown[] = []): unknown {
  budget.spend();
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.includes(value)) return null;
  const path = [...ancestors, value];
  if (Array.isArray(value)) return value.map((item) => cloneJson(item, budget, path));
  if (!isObject(value) || Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cloneJson(item, budget, path)]));
}

/**
 * An OpenAPI schema object (3.0 or 3.1), dereferenced, as a plain JSON Schema: a fresh, JSON-serializable tree.
 * For input, `readOnly` properties are dropped (the server sets them); for output, `writeOnly` ones. Past `budget`
 * (`MAX_SCHEMA_NODES` by default) it throws: shared subtrees are expanded where they are used.
 */
export function cleanSchema(
  schema: unknown,
  direction: 'input' | 'output',
  ancestors: unknown[] = [],
  budget: SchemaBudget = new SchemaBudget(),
): Json {
  budget.spend();
  if (schema === true || !isObject(schema)) return {};
  if (ancestors.includes(schema)) return { description: RECURSIVE_SCHEMA_NOTE };
  const path = [...ancestors, schema];
  const out: Json = {};
  const hidden = direction === 'input' ? 'readOnly' : 'writeOnly';
  const dropped = new Set<string>();
  for (const [key, value] of Object.entries(schema)) {
    if (!SCHEMA_KEYWORDS.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value)
          .filter(([name, property]) => !(isObject(property) && property[hidden] === true && dropped.add(name)))
          .map(([name, property]) => [name, cleanSchema(property, direction, path, budget)]),
      );
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) {
      out[key] = value.map((member) => cleanSchema(member, direction, path, budget));
    } else if (SCHEMA_VALUES.has(key)) {
      out[key] = typeof value === 'boolean' ? value : cleanSchema(value, direction, path, budget);
    } else if (key === 'items') {
      out[key] = Array.isArray(value)
        ? value.map((member) => cleanSchema(member, direction, path, budget))
        : typeof value === 'boolean'
          ? value
          : cleanSchema(value, direction, path, budget);
    } else if (key === 'format') {
      if (typeof value === 'string' && KNOWN_FORMATS.has(value)) out[key] = value;
    } else if (key === 'exclusiveMaximum' || key === 'exclusiveMinimum') {
      // OpenAPI 3.0 (draft 4): a boolean beside maximum/minimum; JSON Schema since draft 6: the bound itself.
      if (typeof value === 'number') out[key] = value;
    } else {
      out[key] = cloneJson(value, budget);
    }
  }
  for (const [flag, bound] of [
    ['exclusiveMaximum', 'maximum'],
    ['exclusiveMinimum', 'minimum'],
  ] as const) {
    if (schema[flag] === true && typeof schema[bound] === 'number') {
      out[flag] = schema[bound];
      delete out[bound];
    }
  }
  if (schema.example !== undefined && out.examples === undefined) out.examples = [cloneJson(schema.example, budget)];
  if (schema.nullable === true) makeNullable(out);
  if (dropped.size && Array.isArray(out.required)) {
    const kept = (out.required as unknown[]).filter((name) => !dropped.has(String(name)));
    if (kept.length) out.required = kept;
    else delete out.required;
  }
  return out;
}

/** OpenAPI 3.0's `nullable: true` in JSON Schema terms. */
function makeNullable(schema: Json): void {
  if (typeof schema.type === 'string') schema.type = [schema.type, 'null'];
  else if (Array.isArray(schema.type) && !schema.type.includes('null')) schema.type = [...schema.type, 'null'];
  if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
