import type { Principal } from '../auth/principal.js';
import type { Logger } from '../logging/logger.js';
import { TOOL_NAME_PATTERN } from './naming.js';

/** MCP annotations of a resource (or of its contents): who it is for and how much it matters. */
export interface ResourceAnnotations {
  audience?: ('user' | 'assistant')[];
  /** 0 (least important) to 1 (most). */
  priority?: number;
  /** ISO-8601. */
  lastModified?: string;
}

/** A tool the caller may call, as the catalogue a resource can publish shows it. */
export interface CatalogEntry {
  name: string;
  title?: string;
  description: string;
  scopes: readonly string[];
  annotations?: Record<string, unknown>;
}

/** What `read`, `get` and completion functions get: the caller, their own secrets and nothing else of the platform. */
export interface ItemContext<SecretName extends string = string> {
  /** The item's declared secrets, resolved from Secrets Manager (only this item's). */
  secrets: Readonly<Record<SecretName, string>>;
  principal: Principal;
  logger: Logger;
  /** Aborted when the request's deadline passes: pass it to `fetch`. */
  signal: AbortSignal;
  requestId: string;
  /** The tools the caller may call right now, in name order (what its `tools/list` shows). */
  catalog(): readonly CatalogEntry[];
}

/**
 * What a read returns: text (with the resource's MIME type), or contents, each text or binary. A content without a
 * `uri` takes the URI that was read.
 */
export type ResourceContent =
  | { uri?: string; mimeType?: string; text: string; annotations?: ResourceAnnotations }
  | { uri?: string; mimeType?: string; blob: Uint8Array | string; annotations?: ResourceAnnotations };

export type ReadResult = string | ResourceContent | ResourceContent[];

/** Values that complete an argument or a template variable: a list (filtered by prefix), or a function. */
export type Completer<SecretName extends string = string> =
  | readonly string[]
  | ((
      value: string,
      ctx: ItemContext<SecretName> & { arguments: Readonly<Record<string, string>> },
    ) => Promise<readonly string[]>);

export interface ResourceSpec<Secrets extends Record<string, string>> {
  /** The resource's name; must equal the folder name with `-` turned into `_`. */
  name: string;
  title?: string;
  /** What the resource holds, for the model and the user. */
  description: string;
  /** A fixed URI (`docs://catalog/tools`), or a URI template (RFC 6570 level 1: `users://{userId}/profile`). */
  uri?: string;
  uriTemplate?: string;
  mimeType?: string;
  /** Size in bytes, where known ahead of reading. */
  size?: number;
  annotations?: ResourceAnnotations;
  /** Scopes a caller needs to see and read the resource (all of them). Operators can change these in the manifest. */
  scopes?: string[];
  /** Secret bindings, as for tools: `{ directory: 'user-directory-api' }`. */
  secrets?: Secrets;
  /**
   * How long a client may keep what a read returned (MCP 2026-07-28 `ttlMs`; always `private`, as what a caller may
   * read depends on who it is). @default 0 (read it again)
   */
  cacheTtlMs?: number;
  /** Completions of template variables, by variable name. */
  complete?: Record<string, Completer<Extract<keyof Secrets, string>>>;
  read(
    request: { uri: string; variables: Readonly<Record<string, string>> },
    ctx: ItemContext<Extract<keyof Secrets, string>>,
  ): Promise<ReadResult>;
}

/** What the platform knows of a resource without its module: everything the lists and the registry use. */
export interface ResourceMetadata {
  name: string;
  title?: string;
  description: string;
  uri?: string;
  uriTemplate?: string;
  mimeType?: string;
  size?: number;
  annotations?: ResourceAnnotations;
  scopes: readonly string[];
  secrets: Readonly<Record<string, string>>;
  cacheTtlMs: number;
  /** Template variables with a fixed list of completions (functions need the module). */
  completionLists: Readonly<Record<string, readonly string[]>>;
  /** Template variables completed by a function of the module. */
  completionFunctions: readonly string[];
}

export interface ResourceDefinition extends ResourceMetadata {
  readonly kind: 'resource';
  /** Loads the module where it is not loaded yet (a folder resource in a Lambda bundle); absent otherwise. */
  ready?(): Promise<void>;
  read(request: { uri: string; variables: Readonly<Record<string, string>> }, ctx: ItemContext): Promise<ReadResult>;
  completeVariable(
    name: string,
    value: string,
    ctx: ItemContext & { arguments: Readonly<Record<string, string>> },
  ): Promise<readonly string[]>;
}

/**
 * Declares a resource. Put `export default defineResource({...})` in `functions/resources/<name>/resource.ts`; the
 * folder is all it takes for the resource to be listed and read.
 */
export function defineResource<Secrets extends Record<string, string> = Record<never, string>>(
  spec: ResourceSpec<Secrets>,
): ResourceDefinition {
  if (!TOOL_NAME_PATTERN.test(spec.name))
    throw new Error(`Resource name "${spec.name}" must match ${TOOL_NAME_PATTERN}`);
  if (!spec.description.trim()) throw new Error(`Resource "${spec.name}" needs a description`);
  if ((spec.uri === undefined) === (spec.uriTemplate === undefined)) {
    throw new Error(`Resource "${spec.name}" needs exactly one of uri and uriTemplate`);
  }
  if (spec.uri !== undefined) checkUri(spec.name, spec.uri);
  const template = spec.uriTemplate === undefined ? undefined : parseUriTemplate(spec.uriTemplate);
  if (template === null) {
    throw new Error(
      `Resource "${spec.name}": uriTemplate "${spec.uriTemplate}" must be a URI with {variable} parts (RFC 6570 level 1)`,
    );
  }
  for (const variable of Object.keys(spec.complete ?? {})) {
    if (!template?.variables.includes(variable)) {
      throw new Error(`Resource "${spec.name}": complete.${variable} names no variable of its uriTemplate`);
    }
  }
  const complete = spec.complete ?? {};
  const lists = Object.fromEntries(
    Object.entries(complete).filter((entry): entry is [string, readonly string[]] => Array.isArray(entry[1])),
  );
  return Object.freeze({
    kind: 'resource' as const,
    name: spec.name,
    ...(spec.title ? { title: spec.title } : {}),
    description: spec.description.trim(),
    ...(spec.uri !== undefined ? { uri: spec.uri } : { uriTemplate: spec.uriTemplate }),
    ...(spec.mimeType ? { mimeType: spec.mimeType } : {}),
    ...(spec.size !== undefined ? { size: spec.size } : {}),
    ...(spec.annotations ? { annotations: spec.annotations } : {}),
    scopes: Object.freeze([...(spec.scopes ?? [])]),
    secrets: Object.freeze({ ...(spec.secrets ?? {}) }) as Readonly<Record<string, string>>,
    cacheTtlMs: spec.cacheTtlMs ?? 0,
    completionLists: lists,
    completionFunctions: Object.keys(complete).filter((name) => !(name in lists)),
    read: spec.read as ResourceDefinition['read'],
    async completeVariable(
      name: string,
      value: string,
      ctx: ItemContext & { arguments: Readonly<Record<string, string>> },
    ) {
      const completer = complete[name];
      if (completer === undefined) return [];
      return typeof completer === 'function' ? completer(value, ctx as never) : completer;
    },
  });
}

function checkUri(name: string, uri: string): void {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:[^\s{}]+$/.test(uri)) {
    throw new Error(`Resource "${name}": uri "${uri}" must be an absolute URI (scheme:rest, no spaces or braces)`);
  }
}

/** A URI template of RFC 6570 level 1: literal parts and `{variable}` parts, each variable once. */
export interface UriTemplate {
  template: string;
  variables: string[];
  /** Matches a URI: its variables (percent-decoded), or undefined when it does not fit the template. */
  match(uri: string): Record<string, string> | undefined;
}

const templates = new Map<string, UriTemplate | null>();

/** Parses a level-1 template; null when it is not one (operators, nested braces, a variable twice, no scheme). */
export function parseUriTemplate(template: string): UriTemplate | null {
  const cached = templates.get(template);
  if (cached !== undefined) return cached;
  const parts = template.split(/(\{[^{}]*\})/);
  const variables: string[] = [];
  let pattern = '^';
  let valid = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(template) && !/\s/.test(template);
  for (const part of parts) {
    if (part.startsWith('{')) {
      const name = part.slice(1, -1);
      if (!/^[A-Za-z0-9_]+$/.test(name) || variables.includes(name)) valid = false;
      variables.push(name);
      // Simple string expansion (level 1) never produces a reserved character unencoded: one segment, no `/?#`.
      pattern += '([^/?#]+)';
    } else {
      if (part.includes('{') || part.includes('}')) valid = false;
      pattern += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const regex = new RegExp(`${pattern}$`);
  const parsed: UriTemplate | null =
    valid && variables.length > 0
      ? {
          template,
          variables,
          match(uri) {
            const found = regex.exec(uri);
            if (!found) return undefined;
            const values: Record<string, string> = {};
            for (const [index, name] of variables.entries()) {
              try {
                values[name] = decodeURIComponent(found[index + 1]!);
              } catch {
                return undefined;
              }
            }
            return values;
          },
        }
      : null;
  if (templates.size < 1_000) templates.set(template, parsed);
  return parsed;
}
