import type { Ajv } from 'ajv';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import * as addFormatsModule from 'ajv-formats';
import type { ArgumentIssue } from '../tools/define-tool.js';

/**
 * JSON Schema validation for manifest tools (ajv, draft 2020-12, every error reported). This module is only ever
 * loaded through a dynamic import, when the registry holds HTTP tools, so code-tool-only instances never load ajv.
 */

export type Validate = (value: unknown) => { valid: true } | { valid: false; issues: ArgumentIssue[] };

// ajv-formats is CommonJS: its default export arrives as the module object under some loaders.
type AddFormats = (ajv: Ajv) => Ajv;
const formatsModule = addFormatsModule as unknown as { default: AddFormats | { default: AddFormats } };
const addFormats: AddFormats =
  typeof formatsModule.default === 'function' ? formatsModule.default : formatsModule.default.default;

let ajv: Ajv2020 | undefined;

function instance(): Ajv2020 {
  if (!ajv) {
    // strict: false lets schemas carry keywords ajv does not know (OpenAPI's `example`, `x-*`), as clients expect.
    ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
    addFormats(ajv);
  }
  return ajv;
}

/** Earlier drafts' `$schema` would make ajv look for their meta-schemas; their keywords mostly mean the same. */
function withoutDraftMarker(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, $id: _id, ...rest } = schema;
  return rest;
}

/** Compiles a schema (checking it against the meta-schema); throws with ajv's explanation when it is not valid. */
export function compileSchema(schema: Record<string, unknown>): Validate {
  const validate = instance().compile(withoutDraftMarker(schema));
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
