import { McpClusterError } from '../errors/errors.js';

/**
 * What the admin operations refuse. `INVALID_INPUT` is the operator's to fix (a bad name, scope or value); the others
 * describe the registry's state. Messages are written for an operator at a terminal.
 */
export type AdminErrorCode =
  | 'INVALID_INPUT'
  | 'KEY_NOT_FOUND'
  | 'KEY_ALREADY_REVOKED'
  | 'TOOL_NOT_FOUND'
  | 'NOTHING_TO_UPDATE'
  | 'SECRET_NOT_WRITABLE'
  /** An OpenAPI document that cannot be read, is not OpenAPI 3.x, or does not validate. */
  | 'INVALID_SPEC'
  /** An OpenAPI document without operations, or with none that can be an HTTP tool: nothing to import. */
  | 'NO_OPERATIONS'
  /** An HTTP tool manifest (a file for `tools add-http`) that does not validate. */
  | 'INVALID_MANIFEST'
  /** A write would replace a tool it does not own: a code tool, or an HTTP tool of another import. */
  | 'TOOL_CONFLICT'
  /** The operation does not apply to code tools (their folder owns them). */
  | 'CODE_TOOL'
  /** The item changed between reading and writing it: run again. */
  | 'CONCURRENT_CHANGE'
  /** The caller's scope does not allow it: a tenant admin changing what is shared, or reaching past its tenant. */
  | 'ADMIN_FORBIDDEN';

export class AdminError extends McpClusterError {
  declare readonly code: AdminErrorCode;

  constructor(code: AdminErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'AdminError';
  }
}
