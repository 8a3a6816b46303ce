import { McpClusterError } from '../../errors/errors.js';

/**
 * What the OpenAPI import refuses, with messages written for an operator at a terminal:
 * - `INVALID_SPEC`: the document cannot be read, is not OpenAPI 3.x, or does not validate;
 * - `NO_OPERATIONS`: it has no operations;
 * - `INVALID_INPUT`: an import option is wrong (a prefix, a secret name, an operation to include, a server URL).
 */
export type OpenApiErrorCode = 'INVALID_SPEC' | 'NO_OPERATIONS' | 'INVALID_INPUT';

export class OpenApiError extends McpClusterError {
  declare readonly code: OpenApiErrorCode;

  constructor(code: OpenApiErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'OpenApiError';
  }
}
