/** Brands ToolErrors, so they are recognised across module copies (see `isToolError`). */
const TOOL_ERROR = Symbol.for('mcp-cluster/tool-error');

/**
 * Errors carry a stable string `code` (decide on `code`, never on `instanceof`) and an optional `cause`.
 * Messages of errors that may reach a caller are written to be safe: no ARNs, table names, stack traces or secrets.
 */
export class McpClusterError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'McpClusterError';
    this.code = code;
  }
}

/** Configuration is missing or malformed; thrown once, at cold start, listing every problem. */
export class ConfigError extends McpClusterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
    this.name = 'ConfigError';
  }
}

/** The registry (DynamoDB) could not be read and no snapshot is cached. */
export class RegistryUnavailableError extends McpClusterError {
  constructor(options?: { cause?: unknown }) {
    super('REGISTRY_UNAVAILABLE', 'The tool registry is temporarily unavailable.', options);
    this.name = 'RegistryUnavailableError';
  }
}

/** A secret a tool declares could not be resolved. The message names the binding, never the value or the ARN. */
export class SecretUnavailableError extends McpClusterError {
  constructor(binding: string, options?: { cause?: unknown; tenant?: string }) {
    super(
      'SECRET_UNAVAILABLE',
      options?.tenant === undefined
        ? `A credential the tool needs ("${binding}") is not available.`
        : `A credential the tool needs ("${binding}") is not configured for your tenant (${options.tenant}).`,
      options,
    );
    this.name = 'SecretUnavailableError';
  }
}

/**
 * Authentication failed. `reason` is one of the RFC 6750 error values; the status follows it (MCP authorization): 403
 * for insufficient scope, 400 for a malformed Authorization header, 401 otherwise (no credential, a bad one).
 */
export class AuthError extends McpClusterError {
  readonly status: 400 | 401 | 403;
  readonly reason: 'invalid_request' | 'invalid_token' | 'insufficient_scope';

  constructor(
    reason: 'invalid_request' | 'invalid_token' | 'insufficient_scope',
    message: string,
    options?: { cause?: unknown; malformed?: boolean },
  ) {
    super(reason === 'insufficient_scope' ? 'FORBIDDEN' : 'UNAUTHENTICATED', message, options);
    this.name = 'AuthError';
    this.reason = reason;
    this.status = reason === 'insufficient_scope' ? 403 : options?.malformed ? 400 : 401;
  }
}

/**
 * The OAuth configuration cannot work as it is (the issuer's metadata names another issuer, has no keys, or is not
 * where OAUTH_ISSUER says): an operator must fix it, so callers are told so rather than to retry.
 */
export class AuthConfigError extends McpClusterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('AUTH_MISCONFIGURED', message, options);
    this.name = 'AuthConfigError';
  }
}

/**
 * Thrown by a tool's `run` to report a failure the model can act on. The message is shown to the model as is,
 * so write it for the model: what went wrong and what to do about it. `retryable` says whether trying again may help.
 */
export class ToolError extends McpClusterError {
  readonly [TOOL_ERROR] = true;
  readonly retryable: boolean;
  /** When retrying makes sense, how long to wait first (e.g. from an upstream's `Retry-After`). */
  readonly retryAfterSeconds?: number;
  /**
   * The failure may have taken effect (a request was sent and its answer lost). For a call protected against
   * duplicates, the key is then kept with this error, so a retry with the same key gets this error back rather than
   * running again.
   */
  readonly mayHaveTakenEffect: boolean;

  constructor(
    code: string,
    message: string,
    options?: { cause?: unknown; retryable?: boolean; retryAfterSeconds?: number; mayHaveTakenEffect?: boolean },
  ) {
    super(code, message, options);
    this.name = 'ToolError';
    this.retryable = options?.retryable ?? false;
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    this.mayHaveTakenEffect = options?.mayHaveTakenEffect ?? false;
  }
}

/** The platform's own error codes, each with the class that carries it: what `hasErrorCode` narrows to. */
interface PlatformErrors {
  CONFIG_INVALID: ConfigError;
  REGISTRY_UNAVAILABLE: RegistryUnavailableError;
  SECRET_UNAVAILABLE: SecretUnavailableError;
  UNAUTHENTICATED: AuthError;
  FORBIDDEN: AuthError;
  AUTH_MISCONFIGURED: AuthConfigError;
}

export type PlatformErrorCode = keyof PlatformErrors;

/**
 * Whether `error` carries one of the platform's codes, typed as the class that carries it: callers decide on the code
 * and read the class's fields without a cast.
 */
export function hasErrorCode<C extends PlatformErrorCode>(error: unknown, ...codes: C[]): error is PlatformErrors[C] {
  const code = errorCode(error);
  return code !== undefined && (codes as string[]).includes(code);
}

/** Whether `error` is a ToolError, even one thrown by a tool module bundled into a chunk of its own. */
export function isToolError(error: unknown): error is ToolError {
  return typeof error === 'object' && error !== null && (error as { [TOOL_ERROR]?: unknown })[TOOL_ERROR] === true;
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}
