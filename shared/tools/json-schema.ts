import { Ajv } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import * as addFormatsModule from 'ajv-formats';
import type { ArgumentIssue } from './define-tool.js';

/**
 * JSON Schema validation for tool inputs that are JSON Schemas (manifest tools, `jsonSchemaInput`): ajv, every error
 * reported, in the dialect the schema declares. This module is only ever loaded through a dynamic import, on the
 * first call that needs it, so instances serving zod-only tools never load ajv.
 */

export type Validate = (value: unknown) => { valid: true } | { valid: false; issues: ArgumentIssue[] };

// ajv-formats is CommonJS: its default export arrives as the module object under some loaders.
type AddFormats = (ajv: Ajv | Ajv2019 | Ajv2020) => unknown;
const formatsModule = addFormatsModule as unknown as { default: AddFormats | { default: AddFormats } };
const addFormats: AddFormats =
  typeof formatsModule.default === 'function' ? formatsModule.default : formatsModule.default.default;

/**
 * The dialects a schema may declare in `$schema` (MCP: 2020-12 when it declares none), each validated as itself.
 * Any other `$schema` is refused, naming these.
 */
export const SUPPORTED_DIALECTS = {
  'https://json-schema.org/draft/2020-12/schema': () => new Ajv2020(AJV_OPTIONS),
  'https://json-schema.org/draft/2019-09/schema': () => new Ajv2019(AJV_OPTIONS),
  'http://json-schema.org/draft-07/schema': () => new Ajv(AJV_OPTIONS),
} as const;

type Dialect = keyof typeof SUPPORTED_DIALECTS;
const DEFAULT_DIALECT: Dialect = 'https://json-schema.org/draft/2020-12/schema';

// strict: false lets schemas carry keywords ajv does not know (OpenAPI's `example`, `x-*`), as clients expect.
const AJV_OPTIONS = { allErrors: true, strict: false, validateFormats: true } as const;

const instances = new Map<Dialect, Ajv | Ajv2019 | Ajv2020>();

function instance(dialect: Dialect): Ajv | Ajv2019 | Ajv2020 {
  let ajv = instances.get(dialect);
  if (!ajv) {
    ajv = SUPPORTED_DIALECTS[dialect]();
    addFormats(ajv);
    instances.set(dialect, ajv);
  }
  return ajv;
}

/** The dialect a schema declares (its `$schema`, with or without the trailing `#`), or 2020-12 when it declares none. */
export function dialectOf(schema: Record<string, unknown>): Dialect {
  const declared = schema.$schema;
  if (declared === undefined) return DEFAULT_DIALECT;
  const name = typeof declared === 'string' ? declared.replace(/#$/, '') : '';
  if (Object.hasOwn(SUPPORTED_DIALECTS, name)) return name as Dialect;
  throw new Error(
    `the JSON Schema dialect ${JSON.stringify(declared)} is not supported; declare one of ${Object.keys(SUPPORTED_DIALECTS).join(', ')}, or none (2020-12)`,
  );
}

/**
 * Compiles a schema in its dialect (checking it against that dialect's meta-schema); throws with ajv's explanation
 * when it is not valid, and names the supported dialects when it declares another. `$id` is dropped: schemas are
 * compiled independently, and two tools may share one.
 */
export function compileSchema(schema: Record<string, unknown>): Validate {
  const dialect = dialectOf(schema);
  const { $id: _id, ...rest } = schema;
  const validate = instance(dialect).compile(rest);
  return (value) =>
    validate(value) ? { valid: true } : { valid: false, issues: describeErrors(validate.errors ?? []) };
}

function fieldOf(pointer: string, child?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  return parts.length ? parts.join('.') : '(arguments)';
}

/** ajv errors as `field: message`, naming the missing or unexpected property rather than its parent. */
export function describeErrors(errors: readonly ErrorObject[]): ArgumentIssue[] {
  const seen = new Set<string>();
  const issues: ArgumentIssue[] = [];
  for (const error of errors) {
    let field = fieldOf(error.instancePath);
    let message = error.message ?? 'is invalid';
    const params = error.params as Record<string, unknown>;
    if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
      field = fieldOf(error.instancePath, params.missingProperty);
      message = 'is required';
    } else if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      field = fieldOf(error.instancePath, params.additionalProperty);
      message = 'is not an accepted argument';
    } else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      message = `must be one of ${params.allowedValues.map((value) => JSON.stringify(value)).join(', ')}`;
    } else if (error.keyword === 'const') {
      message = `must be ${JSON.stringify(params.allowedValue)}`;
    }
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ field, message });
  }
  return issues;
}
