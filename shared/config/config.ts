import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError } from '../errors/errors.js';

/** `10.0.0.0/8`, `fd12::/16`, or a bare address. */
export function isCidr(value: string): boolean {
  const [network = '', prefix, extra] = value.split('/');
  const version = isIP(network);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** `1.2.3.4`, `1.2.3.4:53`, `::1`, `[::1]:53`. */
function isDnsServer(value: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value);
  if (bracketed) return isIP(bracketed[1]!) === 6;
  if (isIP(value)) return true;
  const [host = '', port] = value.split(':');
  return isIP(host) === 4 && /^\d{1,5}$/.test(port ?? '');
}

const integer = (fallback: number, min: number) => z.coerce.number().int().min(min).default(fallback);
const milliseconds = (fallback: number) => integer(fallback, 0);

/**
 * A list in one variable (comma-separated unless `separator` says otherwise), items cleaned (trimmed by default) and
 * empty ones dropped; unset, it is `fallback` (none by default).
 */
const list = (options: { separator?: string | RegExp; clean?: (item: string) => string; fallback?: string } = {}) => {
  const { separator = ',', clean = (item: string) => item.trim(), fallback = '' } = options;
  return z
    .string()
    .default(fallback)
    .transform((value) => value.split(separator).map(clean).filter(Boolean));
};

/**
 * Every environment variable the MCP function reads. Each is set by the construct that grants the matching access
 * (the registry table's name by the construct that grants read on the table, and so on).
 */
export const configSchema = z.object({
  /** DynamoDB table that holds tool manifests and API keys. */
  REGISTRY_TABLE_NAME: z.string().min(1),
  /** Secrets Manager name prefix for tool credentials; a binding `apiKey: 'weather-api'` reads `${SECRETS_PREFIX}weather-api`. */
  SECRETS_PREFIX: z.string().min(1).default('mcp-cluster/'),
  /** How long an instance serves a registry snapshot before reading DynamoDB again. */
  REGISTRY_TTL_MS: milliseconds(10_000),
  /** How long a resolved secret is cached in memory. */
  SECRETS_TTL_MS: milliseconds(60_000),
  /** How long a verified API key is cached in memory (a revoked key stops working within this time). */
  AUTH_CACHE_TTL_MS: milliseconds(10_000),
  /** Tools per `tools/list` page; larger registries are listed in pages (`nextCursor`). */
  TOOLS_PAGE_SIZE: integer(100, 1),
  /** Largest request body accepted, in bytes. */
  MAX_BODY_BYTES: integer(1_048_576, 1),
  /**
   * Largest tool result, in bytes once encoded in the function's response (Lambda refuses responses over 6 MB): a
   * larger result is cut to fit, saying so, or refused (RESULT_TOO_LARGE) when the tool promises an output schema.
   */
  MAX_RESULT_BYTES: integer(5_000_000, 65_536),
  /**
   * S3 bucket for large tool results (the MCP function may Get and Put `results/*` only). Without it results are
   * never linked: a large one is cut to fit a response, as `MAX_RESULT_BYTES` says.
   */
  RESULT_BUCKET_NAME: z.string().min(1).optional(),
  /**
   * A tool result whose text is over this many bytes (UTF-8) is stored in the results bucket and answered with a short
   * summary and a `resource_link` the caller reads back with `resources/read`.
   */
  RESULT_LINK_THRESHOLD_BYTES: integer(65_536, 1_024),
  /** How long the caller may read a linked result back (the bucket's lifecycle rule deletes it after whole days). */
  RESULT_LINK_TTL_SECONDS: integer(3_600, 60).pipe(z.number().max(7 * 86_400)),
  /** Default tool deadline when a tool sets none. Always capped by the Lambda's remaining time. */
  TOOL_TIMEOUT_MS: integer(10_000, 1),
  /** Time kept back from the Lambda deadline to answer after a tool times out. */
  DEADLINE_MARGIN_MS: milliseconds(1_000),
  /**
   * Longest a request answered as JSON may take: API Gateway's limit on a response that is not streamed (29 s). A
   * `tools/call` answered as a live event stream (the caller accepts `text/event-stream` and asks for progress or logs)
   * may use the function's whole timeout, up to 15 minutes.
   */
  JSON_RESPONSE_TIMEOUT_MS: integer(28_000, 1),
  /**
   * How long the `requestState` of a tool call waiting for the client's input may be used (each is used once, when the
   * audit table holds the used ones). Its key is the secret `request-state-key` below SECRETS_PREFIX.
   */
  REQUEST_STATE_TTL_MS: integer(600_000, 1_000),
  /**
   * Public base URL of the endpoint (the MCP endpoint is `${PUBLIC_BASE_URL}/mcp`), used in the protected-resource
   * metadata and `WWW-Authenticate`. Never taken from forwarded headers; without it, API Gateway's own domain and stage.
   */
  PUBLIC_BASE_URL: z.url().optional(),
  /** Audit table; one record per tools/call, plus the rate-limit counters. Without it, audit goes to the logs only. */
  AUDIT_TABLE_NAME: z.string().min(1).optional(),
  /**
   * How audit records reach the audit table: `log` (default) writes one structured line per call and a log
   * subscription writes the table within seconds, so a call pays no DynamoDB write; `table` also writes it during the
   * call (one PutItem, awaited) for deployments without the subscription.
   */
  AUDIT_WRITE: z.enum(['log', 'table']).default('log'),
  /** How long audit records are kept (DynamoDB TTL). */
  AUDIT_RETENTION_DAYS: integer(90, 1),
  /**
   * Idempotent tool calls (records in the audit table): seconds a completed protected call is replayed for the
   * idempotency key the client sent, unless the tool or its manifest sets `idempotency.ttl`.
   */
  IDEMPOTENCY_TTL_SECONDS: integer(3600, 1),
  /**
   * Seconds a completed protected call is replayed for a repeat without a key (same caller, tool and arguments),
   * unless the tool or its manifest sets `idempotency.window`: a model that repeats such a call on purpose within this
   * window gets the first call's result again, marked as a replay.
   */
  IDEMPOTENCY_WINDOW_SECONDS: integer(60, 1),
  /** Largest result (bytes of JSON) stored for replays; a larger one is not stored (then protected against concurrency only). */
  IDEMPOTENCY_MAX_RESULT_BYTES: integer(100_000, 0),
  /**
   * OAuth 2.1 / OIDC issuer whose JWTs are accepted as bearer tokens (besides API keys): its issuer identifier, an http(s)
   * URL without query or fragment (RFC 8414). Compared with the `issuer` of its metadata but for one trailing slash;
   * tokens must carry the metadata's form exactly.
   */
  OAUTH_ISSUER: z
    .url({
      protocol: /^https?$/,
      error: 'must be an http(s) URL, the issuer identifier (e.g. https://login.example.com)',
    })
    .refine((value) => !/[?#]/.test(value), 'must have no query or fragment: it is the issuer identifier (RFC 8414)')
    .optional(),
  /** JWKS URL; by default read from the issuer's OpenID/OAuth discovery document. */
  OAUTH_JWKS_URI: z.url().optional(),
  /** Audience a JWT must name (RFC 8707); by default the MCP endpoint's URL. */
  OAUTH_AUDIENCE: z.string().min(1).optional(),
  /** Asymmetric algorithms accepted for JWTs (`none` and HMAC are never accepted). */
  OAUTH_ALGORITHMS: list({ fallback: 'RS256,ES256,PS256,EdDSA' }).pipe(
    z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1),
  ),
  /** JWT claim naming the caller's tenant. */
  OAUTH_TENANT_CLAIM: z.string().min(1).default('tenant'),
  /** Leeway for a token's `exp` and `nbf`, in seconds (clocks of issuer and endpoint drift). */
  OAUTH_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  /**
   * Scopes a 401 challenge tells OAuth clients to request (RFC 6750 `scope`; MCP clients request them as given), besides
   * REQUIRED_SCOPES (space or comma separated). Unset: the scopes of the enabled read-only tools.
   */
  OAUTH_DEFAULT_SCOPES: z
    .string()
    .optional()
    .transform((value) => value?.split(/[\s,]+/).filter(Boolean)),
  /**
   * Browser origins allowed to call the endpoint (comma separated, `*` for any). A request with an `Origin` header not
   * listed gets 403, as MCP requires against DNS rebinding; requests without `Origin` (agents, servers) are unaffected.
   */
  ALLOWED_ORIGINS: list({ clean: (origin) => origin.trim().replace(/\/+$/, '') }),
  /** Scopes every caller needs to use the endpoint at all (space or comma separated); missing ones answer 403. */
  REQUIRED_SCOPES: list({ separator: /[\s,]+/ }),
  /**
   * Private ranges manifest-only HTTP tools may reach (comma-separated CIDRs such as `10.1.0.0/16,fd12::/16`); by
   * default none: loopback, RFC 1918, CGNAT and unique-local addresses are refused. Link-local and cloud metadata
   * addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) are refused whatever this says.
   */
  OUTBOUND_ALLOWED_CIDRS: list().pipe(
    z.array(z.string().refine(isCidr, 'must be CIDRs such as 10.0.0.0/8 or fd12::/16')),
  ),
  /** DNS servers (`ip:port`, comma separated) that resolve HTTP tools' hosts; by default the system resolver. */
  OUTBOUND_DNS_SERVERS: list().pipe(
    z.array(z.string().refine(isDnsServer, 'must be DNS servers such as 10.0.0.2 or 127.0.0.1:5353')),
  ),
  /** Name the server reports in `initialize`. */
  SERVER_NAME: z.string().min(1).default('mcp-cluster'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type Config = z.infer<typeof configSchema>;

/**
 * Variables that must not be empty (names, prefixes, levels). For every other one an empty value counts as unset: a
 * shell's `VAR=` must not silently become 0, and an empty list or optional URL is no list or URL.
 */
const EMPTY_IS_REFUSED = new Set([
  'REGISTRY_TABLE_NAME',
  'SECRETS_PREFIX',
  'OAUTH_TENANT_CLAIM',
  'SERVER_NAME',
  'LOG_LEVEL',
  'AUDIT_WRITE',
]);

/** Parses the environment once; every problem is reported in one error. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseEnvironment(configSchema, env);
}

/**
 * What the admin API's function reads (functions/admin/handler.ts): the registry (keys, tools), the audit table, the
 * secrets prefix it writes under, and how long a verified key is trusted. Set by the AdminFunction's grants.
 */
export const adminConfigSchema = configSchema
  .pick({ REGISTRY_TABLE_NAME: true, SECRETS_PREFIX: true, AUTH_CACHE_TTL_MS: true, LOG_LEVEL: true })
  .extend({ AUDIT_TABLE_NAME: z.string().min(1) });

export type AdminConfig = z.infer<typeof adminConfigSchema>;

export function loadAdminConfig(env: Record<string, string | undefined> = process.env): AdminConfig {
  return parseEnvironment(adminConfigSchema, env);
}

function parseEnvironment<S extends z.ZodObject>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  // Parsed once per container: zod's compiled fast path would cost more to generate than it saves here.
  const given: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = env[name];
    if (value !== undefined && (value !== '' || EMPTY_IS_REFUSED.has(name))) given[name] = value;
  }
  const result = schema.safeParse(given, { jitless: true });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}
