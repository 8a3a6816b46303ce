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
  | 'SECRET_NOT_WRITABLE';

export class AdminError extends McpClusterError {
  declare readonly code: AdminErrorCode;

  constructor(code: AdminErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'AdminError';
  }
}
