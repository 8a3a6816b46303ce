import { z } from 'zod';

/**
 * Synthetic tools shaped like real ones (3–6 described fields of string/number/enum/optional, some with an output
 * schema), generated deterministically so that ours and the baseline serve exactly the same tools.
 */

/** The `tools/call` target: a tool whose run returns a small structured result, identical on both sides. */
export const CALL_TARGET = 'bench_tool_0000';
/** The tool of the cache-miss section: it declares a secret binding (ours only; the baseline has no secrets). */
export const SECRET_TOOL = 'bench_tool_0001';
/** Secret name (without the prefix) bound by SECRET_TOOL. */
export const SECRET_NAME = 'bench-token';

type FieldKind = 'string' | 'number' | 'enum' | 'optional-string' | 'optional-number';

interface FieldSpec {
  name: string;
  kind: FieldKind;
  description: string;
}

export interface SyntheticTool {
  name: string;
  title: string;
  description: string;
  /** A zod raw shape (what the SDK's `registerTool` takes; ours wraps it in `z.object`). */
  input: Record<string, z.ZodType>;
  output?: Record<string, z.ZodType>;
  annotations: { readOnlyHint: boolean; idempotentHint: boolean; openWorldHint: boolean };
  /** Secret bindings (ours only). */
  secrets?: Record<string, string>;
  /** Valid arguments for a call. */
  sampleArguments: Record<string, unknown>;
  run(args: Record<string, unknown>): Promise<Record<string, unknown> | string>;
}

const FIELD_NAMES = ['query', 'limit', 'region', 'format', 'since', 'priority', 'owner', 'label', 'offset', 'unit'];
const KINDS: FieldKind[] = ['string', 'number', 'enum', 'optional-string', 'string', 'optional-number'];
const LEVELS = ['low', 'medium', 'high'] as const;

function fieldsOf(index: number): FieldSpec[] {
  const count = 3 + (index % 4); // 3..6
  return Array.from({ length: count }, (_, f) => {
    const name = FIELD_NAMES[(index + f) % FIELD_NAMES.length]!;
    const kind = KINDS[f % KINDS.length]!;
    return {
      name,
      kind,
      description: `The ${name} of the request (${kind.replace('-', ' ')}), field ${f + 1} of ${count}.`,
    };
  });
}

function zodOf(field: FieldSpec): z.ZodType {
  switch (field.kind) {
    case 'string':
      return z.string().min(1).max(200).describe(field.description);
    case 'number':
      return z.number().int().min(0).max(10_000).describe(field.description);
    case 'enum':
      return z.enum(LEVELS).describe(field.description);
    case 'optional-string':
      return z.string().max(200).optional().describe(field.description);
    case 'optional-number':
      return z.number().min(0).optional().describe(field.description);
  }
}

function sampleOf(field: FieldSpec): unknown {
  switch (field.kind) {
    case 'string':
    case 'optional-string':
      return `value of ${field.name}`;
    case 'number':
    case 'optional-number':
      return 42;
    case 'enum':
      return 'medium';
  }
}

export function toolName(index: number): string {
  return `bench_tool_${String(index).padStart(4, '0')}`;
}

/** `count` synthetic tools; the same call always returns equal tools (fresh zod objects each time). */
export function syntheticTools(count: number): SyntheticTool[] {
  return Array.from({ length: count }, (_, index) => {
    const name = toolName(index);
    const fields = fieldsOf(index);
    const structured = index % 2 === 0;
    const input = Object.fromEntries(fields.map((field) => [field.name, zodOf(field)]));
    return {
      name,
      title: `Bench tool ${index}`,
      description: `Synthetic tool number ${index} of the benchmark. It looks up records matching the given ${fields
        .map((f) => f.name)
        .join(', ')} and returns a short summary. Use it when the benchmark asks for tool ${index}.`,
      input,
      ...(structured
        ? {
            output: {
              ok: z.boolean().describe('Whether the call succeeded.'),
              tool: z.string().describe('The tool that answered.'),
              fields: z.number().describe('How many arguments were given.'),
            },
          }
        : {}),
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      ...(name === SECRET_TOOL ? { secrets: { token: SECRET_NAME } } : {}),
      sampleArguments: Object.fromEntries(fields.map((field) => [field.name, sampleOf(field)])),
      async run(args) {
        const given = Object.keys(args).length;
        return structured ? { ok: true, tool: name, fields: given } : `${name}: ${given} arguments, ok`;
      },
    };
  });
}

/** The number of tools a bundle serves: `BENCH_TOOLS`, read once at import. */
export function toolCountFromEnv(env: Record<string, string | undefined> = process.env): number {
  const count = Number(env.BENCH_TOOLS ?? '10');
  if (!Number.isInteger(count) || count < 2)
    throw new Error(`BENCH_TOOLS must be an integer ≥ 2, got ${env.BENCH_TOOLS}`);
  return count;
}
