/** The OpenAPI 3.x document as the import reads it: dereferenced by load.ts, turned into tools by operations.ts. */

export type Json = Record<string, unknown>;

/** A dereferenced OpenAPI 3.0 or 3.1 document (only what the import reads is typed). */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version?: string };
  servers?: ServerObject[];
  paths?: Record<string, Json | undefined>;
  components?: { securitySchemes?: Record<string, Json> };
  security?: Record<string, string[]>[];
}

export interface ServerObject {
  url: string;
  variables?: Record<string, { default: string }>;
}

/** The operations of a path item, in the order the import reads them. */
export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** A JSON object (not an array, not null). */
export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
