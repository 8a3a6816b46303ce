/**
 * Reads an OpenAPI 3.x document (JSON or YAML, a file or an http(s) URL), validates it and resolves its `$ref`s with
 * swagger-parser. Whatever is read over the network goes through the one guarded outbound client
 * (`../outbound/outbound-client.ts`); files only from the document's own directory.
 */
import { readFile, realpath } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { OUTBOUND_FORBIDDEN } from '../outbound/guarded-lookup.js';
import type { HostAllowlist } from '../outbound/host-allowlist.js';
import {
  createOutboundClient,
  MAX_REDIRECTS,
  type OutboundClient,
  OutboundError,
  type OutboundResponse,
} from '../outbound/outbound-client.js';
import { isObject, type Json, METHODS, type OpenApiDocument } from './document.js';
import { OpenApiError } from './openapi-error.js';

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

/**
 * The most a `$ref` (or the document itself) may be and how long it may take, redirects included (the client follows
 * at most `MAX_REDIRECTS`, each hop checked again).
 */
const REF_MAX_BYTES = 10 * 1024 * 1024;
const REF_TIMEOUT_MS = 20_000;

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

/** The import reads from any host: the address policy alone decides what may be reached. */
const ANY_HOST: HostAllowlist = { patterns: ['*'], allows: () => true };

const REF_ACCEPT = 'application/json, application/yaml;q=0.9, */*;q=0.8';

/**
 * Reads the document or one of its `$ref`s over http(s), through the guarded outbound client: every hop (redirects
 * are followed, at most 5) connects only to public addresses, checked when the name resolves (so names that resolve
 * to loopback and redirects to internal hosts are refused too), except that the document's own origin may be private
 * (the client vouches for it); link-local, metadata and reserved addresses never.
 */
async function readHttpRef(ref: string, outbound: OutboundClient): Promise<Buffer> {
  const signal = AbortSignal.timeout(REF_TIMEOUT_MS);
  let response: OutboundResponse;
  try {
    response = await outbound.send({
      method: 'GET',
      url: new URL(ref),
      headers: { accept: REF_ACCEPT },
      allowedHosts: ANY_HOST,
      maxBytes: REF_MAX_BYTES,
      skipOversized: true,
      retries: 0,
      signal,
      // Nothing secret is sent, so a redirect to plain http is followed as any other.
      followDowngrades: true,
    });
  } catch (error) {
    if (signal.aborted) throw new Error(`${ref} did not answer within ${REF_TIMEOUT_MS / 1000} s`);
    throw refFailure(ref, error);
  }
  const { status, url } = response;
  if (status >= 400) throw new Error(`HTTP ${status} from ${url.href}`);
  if (status >= 300)
    throw new Error(`HTTP ${status} from ${url.href}${response.headers.location ? '' : ' without a Location'}`);
  if (response.truncated) throw new Error(`${url.href} is larger than ${REF_MAX_BYTES / 1024 / 1024} MB`);
  return response.body;
}

/** What the outbound client refused or failed at, as the import words it (naming the hop a redirect led to). */
function refFailure(ref: string, error: unknown): Error {
  if (error instanceof OutboundError && error.code === OUTBOUND_FORBIDDEN) {
    const { url, hop, address, addressClass } = error;
    const kind =
      addressClass === 'forbidden'
        ? 'a link-local, metadata or otherwise reserved address'
        : "a private or loopback address (only the document's own origin may be one)";
    const literal = isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0;
    const why =
      address === undefined
        ? `${url.protocol} URLs are not read`
        : literal
          ? `${address} is ${kind}`
          : `${url.hostname} resolves to ${address}, ${kind}`;
    return new RefRefusedError({ url: ref, why: hop ? `it redirects to ${url.href}, and ${why}` : why });
  }
  if (error instanceof OutboundError && error.code === 'UPSTREAM_TOO_MANY_REDIRECTS') {
    return new Error(`${ref}: more than ${MAX_REDIRECTS} redirects`);
  }
  // A network failure (or an unreadable redirect): what the connection said.
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? cause : (error as Error);
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
  // The one guarded client, vouching for the document's own origin only (operators import from their own servers).
  const outbound = createOutboundClient({ privateOrigins: specOrigin ? [specOrigin] : [], keepAlive: false });
  const specPath = isUrl(source) ? undefined : resolvePath(source);
  let root: Promise<string> | undefined;
  const http = {
    order: 200,
    canRead: (file: { url: string }) => /^https?:\/\//i.test(file.url),
    async read(file: { url: string }) {
      try {
        return await readHttpRef(file.url, outbound);
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
function refProblemError(source: string, refusals: RefProblem[], cause: unknown): OpenApiError | undefined {
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
  return new OpenApiError('INVALID_SPEC', `Cannot read the OpenAPI document ${source}: ${what}${refusal.why}`, {
    cause,
  });
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
        new OpenApiError('INVALID_SPEC', `Cannot read the OpenAPI document ${source}: ${messageOf(error)}`, {
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
      new OpenApiError('INVALID_SPEC', `${source} is not a valid OpenAPI document: ${validationProblems(error)}`, {
        cause: error,
      })
    );
  }
}

const numericVersion = (info: Json) => typeof info.version === 'number';

/** Swagger 2.0 (`swagger: "2.0"`, or `2.0` unquoted in YAML, a number) is refused before anything else is checked. */
function swaggerError(source: string, version: unknown): OpenApiError {
  const shown = typeof version === 'number' && Number.isInteger(version) ? version.toFixed(1) : String(version);
  return new OpenApiError(
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
