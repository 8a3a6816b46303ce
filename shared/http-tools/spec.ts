import { z } from 'zod';
import { isSecretName, SECRET_NAME_RULE } from '../secrets/secret-name.js';
import { toolManifestSchema } from '../store/tool-manifests.js';

/**
 * What a manifest-only HTTP tool (`source: 'http'`) declares: its schema for the model, the request it turns a call
 * into, how it authenticates, and how the response becomes a result. It lives in the tool's manifest item under
 * `http`; the tool's name is the item's `SK`, its description the manifest's `description`.
 */

export const HTTP_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Methods a request may be retried with (RFC 9110 §9.2.2): the others are never retried. */
export const IDEMPOTENT_METHODS: ReadonlySet<HttpMethod> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * Where one argument goes:
 * - `path`: replaces `{name}` in the URL template (percent-encoded);
 * - `query`: a query parameter (arrays repeat the parameter);
 * - `header`: a request header (never `Authorization`, `Host`, `Cookie` or the auth header/parameter);
 * - `body`: a property of the JSON body;
 * - `whole-body`: the JSON body itself (for APIs whose body is not an object of named fields).
 * `name` is the name on the wire; by default the argument's own name.
 */
export const ARGUMENT_LOCATIONS = ['path', 'query', 'header', 'body', 'whole-body'] as const;
export type ArgumentLocation = (typeof ARGUMENT_LOCATIONS)[number];

export const argumentMappingSchema = z.strictObject({
  in: z.enum(ARGUMENT_LOCATIONS),
  name: z.string().min(1).max(256).optional(),
});
export type ArgumentMapping = z.infer<typeof argumentMappingSchema>;

/** A secret's name under the stack's prefix (`weather-api` reads `${SECRETS_PREFIX}weather-api`). */
const secretName = z.string().refine(isSecretName, `a secret name: ${SECRET_NAME_RULE}`);

/**
 * Credentials injected into every request from one secret. A secret holding JSON may name the `field` to use.
 * - `bearer`: `Authorization: Bearer <value>`;
 * - `header`: `<name>: <prefix><value>` (an API-key header such as `X-API-Key`);
 * - `query`: `?<name>=<value>`;
 * - `basic`: `Authorization: Basic ...` from a secret holding `user:password` or `{"username","password"}`.
 */
export const httpAuthSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bearer'), secret: secretName, field: z.string().min(1).optional() }),
  z.strictObject({
    type: z.literal('header'),
    secret: secretName,
    field: z.string().min(1).optional(),
    name: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name'),
    prefix: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('query'),
    secret: secretName,
    field: z.string().min(1).optional(),
    name: z.string().min(1),
  }),
  z.strictObject({ type: z.literal('basic'), secret: secretName }),
]);
export type HttpAuth = z.infer<typeof httpAuthSchema>;

/** A JSON Schema object (validated as a schema, with a real JSON Schema validator, where the tool is compiled). */
const jsonSchemaObject = z.record(z.string(), z.unknown());

const hostName = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/,
    'a host name, optionally *.domain or :port',
  )
  .transform((host) => host.toLowerCase());

export const httpRequestSchema = z.strictObject({
  method: z.enum(HTTP_METHODS),
  /**
   * Absolute `http(s)` URL with `{placeholders}` for path arguments:
   * `https://api.example.com/v1/forecast/{city}`. A query string in the template is kept.
   */
  url: z.string().min(1).max(2048),
  /** Argument name → where it goes. Arguments not listed: `{placeholder}` names go to the path; the rest to the query for GET/HEAD/OPTIONS/DELETE and to the JSON body otherwise. */
  arguments: z.record(z.string().min(1), argumentMappingSchema).optional(),
  /** Fixed headers sent with every request (no credentials here: those come from `auth`). */
  headers: z.record(z.string().min(1), z.string()).optional(),
  /**
   * The API wants a JSON body on every call: when no argument goes to the body, `{}` is sent. By default a call whose
   * arguments fill no part of the body sends no body (and no `Content-Type`).
   */
  bodyRequired: z.boolean().optional(),
  /**
   * Hosts the tool may reach (`api.example.com`, `*.example.com`, `host:8443`); by default only the URL's own host.
   * Redirects are followed only within these hosts.
   */
  allowedHosts: z.array(hostName).min(1).optional(),
  /** Deadline of one call, all attempts included (capped by the function's remaining time). */
  timeoutMs: z.number().int().positive().max(900_000).optional(),
  /** Extra attempts after a network error, 408, 429, 502, 503 or 504; only for idempotent methods. Default 2. */
  retries: z.number().int().min(0).max(5).optional(),
});
export type HttpRequestSpec = z.infer<typeof httpRequestSchema>;

export const httpResponseSchema = z.strictObject({
  /** Bytes of the upstream body kept; beyond it the result says it was truncated. Default 100,000. */
  maxBytes: z
    .number()
    .int()
    .positive()
    .max(5 * 1024 * 1024)
    .optional(),
});

export const toolAnnotationsSchema = z.strictObject({
  title: z.string().optional(),
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});

export const httpToolSpecSchema = z.strictObject({
  title: z.string().min(1).optional(),
  /** JSON Schema of the arguments (`type: 'object'`), as `tools/list` advertises it. */
  inputSchema: jsonSchemaObject,
  /** JSON Schema of the structured result, if the upstream's JSON answer has a known shape. */
  outputSchema: jsonSchemaObject.optional(),
  annotations: toolAnnotationsSchema.optional(),
  request: httpRequestSchema,
  auth: httpAuthSchema.optional(),
  response: httpResponseSchema.optional(),
  /** Set by `import-openapi`: which import wrote this tool (so a re-import with `--prune` removes only its own). */
  importedFrom: z.string().min(1).optional(),
  /** Set by `import-openapi`: the operation's `operationId`. */
  operationId: z.string().min(1).optional(),
});
export type HttpToolSpec = z.infer<typeof httpToolSpecSchema>;

/** Zod issues as `field: message` lines, each field under `prefix` (`http.request.url: ...`). */
export function issueLines(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.map((issue) => {
    const path = [...prefix, ...issue.path].map(String).join('.');
    return `${path || '(top level)'}: ${issue.message}`;
  });
}

/** A tool manifest with an HTTP tool's spec checked (and normalized) too: what the admin reads and writes. */
export const checkedToolManifestSchema = toolManifestSchema.safeExtend({ http: httpToolSpecSchema.optional() });

/** A manifest whose HTTP spec (if any) is checked. */
export type CheckedToolManifest = z.infer<typeof checkedToolManifestSchema>;
