/**
 * OpenAPI schema objects (3.0 or 3.1, dereferenced) as plain JSON Schema that validators compile everywhere, within a
 * budget of nodes, so a document that reuses schemas deeply cannot make a tool's schema explode.
 */
import { isObject, type Json } from './document.js';

/**
 * JSON Schema keywords kept (draft-07, what JSON Schema validators compile everywhere). OpenAPI-only keywords
 * (`nullable`, `example`, `xml`, `discriminator`, `externalDocs`, `x-…`) are translated or dropped.
 */
const SCHEMA_KEYWORDS = new Set([
  'type',
  'enum',
  'const',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'format',
  'multipleOf',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'items',
  'maxItems',
  'minItems',
  'uniqueItems',
  'contains',
  'properties',
  'patternProperties',
  'additionalProperties',
  'required',
  'maxProperties',
  'minProperties',
  'propertyNames',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'contentMediaType',
  'contentEncoding',
]);

/** Formats JSON Schema validators know (ajv-formats' full set); others are dropped, not to fail compilation. */
const KNOWN_FORMATS = new Set([
  'date',
  'time',
  'date-time',
  'iso-time',
  'iso-date-time',
  'duration',
  'uri',
  'uri-reference',
  'uri-template',
  'url',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'regex',
  'uuid',
  'json-pointer',
  'json-pointer-uri-fragment',
  'relative-json-pointer',
  'byte',
  'int32',
  'int64',
  'float',
  'double',
  'password',
  'binary',
]);

const SCHEMA_MAPS = new Set(['properties', 'patternProperties']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);
const SCHEMA_VALUES = new Set(['additionalProperties', 'contains', 'propertyNames', 'not', 'if', 'then', 'else']);

export const RECURSIVE_SCHEMA_NOTE = 'Recursive: the same shape as an enclosing value (not expanded further).';

/**
 * The most nodes (schemas and values inside them) one tool's input, or output, schema may have once its `$ref`s are
 * expanded: a document that reuses one schema ten times at each of six levels expands to a million.
 */
export const MAX_SCHEMA_NODES = 20_000;
/** What `cleanSchema` may still expand for one schema; throws `SchemaTooLargeError` past it. */
export class SchemaBudget {
  constructor(private left = MAX_SCHEMA_NODES) {}
  spend(): void {
    if (--this.left < 0)
      throw new SchemaTooLargeError(`larger than ${MAX_SCHEMA_NODES} nodes once its $refs are expanded`);
  }
}

/** A schema past its `SchemaBudget`. */
export class SchemaTooLargeError extends Error {}

/** A JSON value from the document as a fresh tree (values that contain themselves become null), within the budget. */
export function cloneJson(value: unknown, budget: SchemaBudget, ancestors: unknown[] = []): unknown {
  budget.spend();
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.includes(value)) return null;
  const path = [...ancestors, value];
  if (Array.isArray(value)) return value.map((item) => cloneJson(item, budget, path));
  if (!isObject(value) || Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cloneJson(item, budget, path)]));
}

/**
 * An OpenAPI schema object (3.0 or 3.1), dereferenced, as a plain JSON Schema: a fresh, JSON-serializable tree.
 * For input, `readOnly` properties are dropped (the server sets them); for output, `writeOnly` ones. Past `budget`
 * (`MAX_SCHEMA_NODES` by default) it throws: shared subtrees are expanded where they are used.
 */
export function cleanSchema(
  schema: unknown,
  direction: 'input' | 'output',
  ancestors: unknown[] = [],
  budget: SchemaBudget = new SchemaBudget(),
): Json {
  budget.spend();
  if (schema === true || !isObject(schema)) return {};
  if (ancestors.includes(schema)) return { description: RECURSIVE_SCHEMA_NOTE };
  const path = [...ancestors, schema];
  const out: Json = {};
  const hidden = direction === 'input' ? 'readOnly' : 'writeOnly';
  const dropped = new Set<string>();
  for (const [key, value] of Object.entries(schema)) {
    if (!SCHEMA_KEYWORDS.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value)
          .filter(([name, property]) => !(isObject(property) && property[hidden] === true && dropped.add(name)))
          .map(([name, property]) => [name, cleanSchema(property, direction, path, budget)]),
      );
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) {
      out[key] = value.map((member) => cleanSchema(member, direction, path, budget));
    } else if (SCHEMA_VALUES.has(key)) {
      out[key] = typeof value === 'boolean' ? value : cleanSchema(value, direction, path, budget);
    } else if (key === 'items') {
      out[key] = Array.isArray(value)
        ? value.map((member) => cleanSchema(member, direction, path, budget))
        : typeof value === 'boolean'
          ? value
          : cleanSchema(value, direction, path, budget);
    } else if (key === 'format') {
      if (typeof value === 'string' && KNOWN_FORMATS.has(value)) out[key] = value;
    } else if (key === 'exclusiveMaximum' || key === 'exclusiveMinimum') {
      // OpenAPI 3.0 (draft 4): a boolean beside maximum/minimum; JSON Schema since draft 6: the bound itself.
      if (typeof value === 'number') out[key] = value;
    } else {
      out[key] = cloneJson(value, budget);
    }
  }
  for (const [flag, bound] of [
    ['exclusiveMaximum', 'maximum'],
    ['exclusiveMinimum', 'minimum'],
  ] as const) {
    if (schema[flag] === true && typeof schema[bound] === 'number') {
      out[flag] = schema[bound];
      delete out[bound];
    }
  }
  if (schema.example !== undefined && out.examples === undefined) out.examples = [cloneJson(schema.example, budget)];
  if (schema.nullable === true) makeNullable(out);
  if (dropped.size && Array.isArray(out.required)) {
    const kept = (out.required as unknown[]).filter((name) => !dropped.has(String(name)));
    if (kept.length) out.required = kept;
    else delete out.required;
  }
  return out;
}

/** OpenAPI 3.0's `nullable: true` in JSON Schema terms. */
function makeNullable(schema: Json): void {
  if (typeof schema.type === 'string') schema.type = [schema.type, 'null'];
  else if (Array.isArray(schema.type) && !schema.type.includes('null')) schema.type = [...schema.type, 'null'];
  if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
}
