import type { CallToolResult, ClientCapabilities, ContentBlock } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../logging/logger.js';
import { TOOL_NAME_PATTERN } from './naming.js';

/** Hints for clients about a tool's behaviour (MCP `ToolAnnotations`). */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** A tool's protection against duplicate calls (`defineTool({ idempotency })`). */
export interface ToolIdempotency {
  enabled?: boolean;
  /** Seconds a completed call is replayed for an idempotency key the client sent. */
  ttl?: number;
  /** Seconds a completed call is replayed for a repeat without a key (same caller, tool and arguments). */
  window?: number;
}

export type TextContent = { type: 'text'; text: string };
/** What a tool without an output schema may return: MCP content blocks (text, image, audio, resource links, embedded resources). */
export type ToolContent = ContentBlock;

/** What `run` hands a tool: the caller, its own secrets and nothing else of the platform. */
export interface ToolContext<SecretName extends string = string> {
  /** The tool's declared secrets, resolved from Secrets Manager (only this tool's). */
  secrets: Readonly<Record<SecretName, string>>;
  /** The authenticated caller. */
  principal: Readonly<Principal>;
  /** A logger whose lines carry the request id and tool name; secret values are scrubbed from it. */
  logger: Logger;
  /** Aborted when the tool's deadline passes; pass it to `fetch` and anything else that can be cancelled. */
  signal: AbortSignal;
  /** Id of this request (API Gateway's request id), for correlating logs. */
  requestId: string;
  /** When the call's deadline passes (ms since the epoch); the signal aborts then. */
  deadline?: number;
  /**
   * Reports progress to the caller (MCP `notifications/progress`), sent only when the request carried a progress
   * token: `done` must increase from one report to the next (a report that does not is dropped); `total` when known.
   */
  progress(done: number, total?: number, message?: string): void;
  /**
   * Sends a log message to the caller (MCP `notifications/message`), only when the request asked for logs at `level`
   * or a less severe one. Secret values are scrubbed from it, but do not put them in on purpose.
   */
  log(level: LogLevel, message: string, data?: unknown): void;
  /** Whether the client can answer a request of this kind (MCP 2026-07-28, capability declared by the request). */
  canAsk(kind: InputKind): boolean;
  /**
   * Asks the user, through the client, for input of the given shape (MCP elicitation, form mode). The call ends with
   * an `input_required` result and runs again, from the start, when the client retries it with the answer; so ask
   * before doing anything that must not happen twice. Fails with INPUT_UNAVAILABLE when the client cannot answer.
   */
  elicit(request: ElicitationRequest): Promise<ElicitationAnswer>;
  /** Asks the client's model for a completion (MCP sampling), in the same way as `elicit`. */
  sample(request: SamplingRequest): Promise<SamplingAnswer>;
  /** Asks the client for its roots (MCP `roots/list`), in the same way as `elicit`. */
  listRoots(request?: { key?: string }): Promise<{ roots: { uri: string; name?: string }[] }>;
}

/** MCP log levels, least severe first. */
export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';

/** What a tool can ask the client for while it runs. */
export type InputKind = 'elicitation' | 'sampling' | 'roots';

/** An elicitation: a message for the user and the JSON Schema (flat object of primitives) of the answer. */
export interface ElicitationRequest {
  /** Names the request in `inputRequests` (and its answer in `inputResponses`); by default its order in the call. */
  key?: string;
  message: string;
  requestedSchema: Record<string, unknown>;
}

/** The user's answer: `accept` with the content, or `decline` / `cancel` without it. */
export interface ElicitationAnswer {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

/** A sampling request: MCP `sampling/createMessage` params (messages, maxTokens, ...). */
export interface SamplingRequest {
  key?: string;
  messages: { role: 'user' | 'assistant'; content: Record<string, unknown> }[];
  maxTokens: number;
  systemPrompt?: string;
  [option: string]: unknown;
}

/** The client model's answer (MCP `CreateMessageResult`). */
export interface SamplingAnswer {
  role: 'user' | 'assistant';
  content: Record<string, unknown>;
  model: string;
  stopReason?: string;
  [field: string]: unknown;
}

type AnyObjectSchema = z.ZodObject<z.ZodRawShape>;

declare const argumentsType: unique symbol;

/**
 * A tool's input given as a JSON Schema (draft 2020-12 unless its `$schema` says otherwise) instead of a zod object,
 * for schemas zod cannot express or that come from elsewhere: advertised exactly as written, and arguments are
 * checked against it (ajv, every problem named). `Args` types what `run` receives. Make one with `jsonSchemaInput`.
 */
export interface JsonSchemaInput<Args = Record<string, unknown>> {
  readonly jsonSchema: Readonly<Record<string, unknown>>;
  readonly [argumentsType]?: Args;
}

/**
 * A tool input as JSON Schema; it must describe an object (`type: "object"`), as MCP requires of input schemas. Its
 * dialect is 2020-12 (MCP's default) unless its `$schema` names 2019-09 or draft-07; any other is refused when the
 * schema is compiled, which is when the tool's folder is built or served, so a broken schema is never advertised.
 */
export function jsonSchemaInput<Args = Record<string, unknown>>(
  schema: Record<string, unknown>,
): JsonSchemaInput<Args> {
  if (schema.type !== 'object') throw new Error('A tool input schema must have type "object"');
  return Object.freeze({ jsonSchema: structuredClone(schema) });
}

export type ToolInput = AnyObjectSchema | JsonSchemaInput<unknown>;

/** What `run` receives for an input. */
type ArgumentsOf<Input extends ToolInput> = Input extends AnyObjectSchema
  ? z.output<Input>
  : Input extends JsonSchemaInput<infer Args>
    ? Args
    : never;

function isJsonSchemaInput(input: ToolInput): input is JsonSchemaInput<unknown> {
  return 'jsonSchema' in input && !(input instanceof z.ZodType);
}

/** What a tool without an output schema may return: text, or MCP content blocks. */
export type UnstructuredResult = string | ToolContent[];

export interface ToolSpec<
  Input extends ToolInput,
  Output extends AnyObjectSchema | undefined,
  Secrets extends Record<string, string>,
> {
  /** Tool name as the model sees it; must equal the folder name with `-` turned into `_`. */
  name: string;
  title?: string;
  /** What the tool does and when to use it, written for the model. */
  description: string;
  /** Arguments, as a zod object (its JSON Schema is what `tools/list` advertises) or `jsonSchemaInput({...})`. */
  input: Input;
  /** Optional structured result; when set, `run` returns an object of this shape (sent as `structuredContent`). */
  output?: Output;
  annotations?: ToolAnnotations;
  /** Scopes a caller needs to see and call the tool (all of them). Operators can change these in the manifest. */
  scopes?: string[];
  /** Secret bindings: `{ apiKey: 'weather-api' }` makes `ctx.secrets.apiKey` the value of `${SECRETS_PREFIX}weather-api`. */
  secrets?: Secrets;
  /** Deadline for one call; capped by the Lambda's remaining time. */
  timeoutMs?: number;
  /** `arguments: true` stores the raw arguments in audit records (only a digest otherwise). Never for secrets. */
  audit?: { arguments?: boolean };
  /**
   * Protection against duplicate calls (a retried side effect happens once). By default on when `annotations` say
   * `idempotentHint: false` (and not `readOnlyHint: true`). `ttl`: seconds a completed call is replayed for a key the
   * client sent; `window`: seconds it is replayed for a repeat without a key. The manifest can override each.
   */
  idempotency?: ToolIdempotency;
  /**
   * Client capabilities the tool needs, e.g. `{ sampling: {} }`. A 2026-07-28 request whose `_meta` does not declare
   * them is refused with -32021 naming the missing ones, before the tool runs.
   */
  clientCapabilities?: ClientCapabilities;
  run(
    args: ArgumentsOf<Input>,
    ctx: ToolContext<Extract<keyof Secrets, string>>,
  ): Promise<Output extends AnyObjectSchema ? z.input<Output> : UnstructuredResult>;
}

/** One problem with a call's arguments, naming the field (`city`, `items.0.qty`, `(arguments)` for the whole). */
export interface ArgumentIssue {
  field: string;
  message: string;
}

export type ArgumentValidation = { success: true; data: unknown } | { success: false; issues: ArgumentIssue[] };

/** What every served tool has, whatever it is made of. */
interface ToolDefinitionBase {
  readonly name: string;
  readonly title?: string;
  readonly description: string;
  readonly inputJsonSchema: Record<string, unknown>;
  readonly outputJsonSchema?: Record<string, unknown>;
  readonly annotations?: ToolAnnotations;
  readonly scopes: readonly string[];
  readonly secrets: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly auditArguments: boolean;
  /** The tool's own protection against duplicate calls, when it sets one. */
  readonly idempotency?: ToolIdempotency;
  /** Client capabilities a modern request must declare to call the tool. */
  readonly clientCapabilities?: ClientCapabilities;
  /** Checks (and, for code tools, parses) the arguments; `data` is what `run` gets. */
  validate(args: unknown): ArgumentValidation;
  run(args: unknown, ctx: ToolContext): Promise<unknown>;
  /** Turns what `run` returned into the call's result. Throws when the value breaks the tool's promise. */
  toResult(value: unknown): CallToolResult;
  /**
   * Loads what `validate`, `run` and `toResult` need, when the definition does not hold it yet (a folder tool in a
   * Lambda bundle is loaded on its first call); absent when there is nothing to load.
   */
  ready?(): Promise<void>;
}

/** A tool from a folder: the author's spec plus everything derived from it once, at load time. */
export interface CodeToolDefinition<Input extends ToolInput = ToolInput> extends ToolDefinitionBase {
  readonly kind: 'code';
  readonly input: Input;
  readonly output?: AnyObjectSchema;
}

/**
 * A folder tool whose module is loaded on its first call (shared/tools/lazy-tool.ts): everything `tools/list` and the
 * registry need is known without it.
 */
export interface LazyCodeToolDefinition extends ToolDefinitionBase {
  readonly kind: 'code';
  ready(): Promise<void>;
}

/** A manifest-only tool wrapping an HTTP API (compiled from its manifest by shared/http-tools). */
export interface HttpToolDefinition extends ToolDefinitionBase {
  readonly kind: 'http';
}

/** A tool as the platform holds it. */
export type ToolDefinition = CodeToolDefinition | LazyCodeToolDefinition | HttpToolDefinition;

/** A tool of a folder under functions/tools, with its module or (in a Lambda bundle) loaded on its first call. */
export type FolderToolDefinition = CodeToolDefinition | LazyCodeToolDefinition;

/** Zod issues as argument issues: `city: Invalid input: expected string, received number`. */
export function zodIssues(issues: readonly z.core.$ZodIssue[]): ArgumentIssue[] {
  return issues.map((issue) => ({
    field: issue.path.length ? issue.path.map(String).join('.') : '(arguments)',
    message: issue.message,
  }));
}

/** A code tool's result: its output schema's object as structuredContent (and JSON text), else text or content. */
function codeToolResult(name: string, output: AnyObjectSchema | undefined, value: unknown): CallToolResult {
  if (output) {
    const parsed = output.safeParse(value);
    if (!parsed.success) throw new Error(`tool ${name} returned a result that does not match its output schema`);
    return { content: [{ type: 'text', text: JSON.stringify(parsed.data) }], structuredContent: parsed.data };
  }
  if (typeof value === 'string') return { content: [{ type: 'text', text: value }] };
  if (Array.isArray(value)) return { content: value as ToolContent[] };
  return { content: [{ type: 'text', text: JSON.stringify(value) }] };
}

/** A tool's JSON Schemas, as `tools/list` advertises them. */
export interface ToolJsonSchemas {
  input: Record<string, unknown>;
  output?: Record<string, unknown>;
}

/** The JSON Schemas of a tool's zod schemas. */
export function deriveJsonSchemas(input: AnyObjectSchema, output?: AnyObjectSchema): ToolJsonSchemas {
  return { input: jsonSchemaOf(input, 'input'), ...(output ? { output: jsonSchemaOf(output, 'output') } : {}) };
}

function jsonSchemaOf(schema: AnyObjectSchema, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/**
 * Declares a tool. Put `export default defineTool({...})` in `functions/tools/<tool-name>/tool.ts`; the folder is
 * all it takes for the tool to be served. The JSON Schemas are derived from the zod schemas when first read (a Lambda
 * bundle carries them from the build and never derives them).
 */
export function defineTool<
  Input extends ToolInput,
  Output extends AnyObjectSchema | undefined = undefined,
  Secrets extends Record<string, string> = Record<never, string>,
>(spec: ToolSpec<Input, Output, Secrets>): CodeToolDefinition<Input> {
  if (!TOOL_NAME_PATTERN.test(spec.name)) {
    throw new Error(`Tool name "${spec.name}" must match ${TOOL_NAME_PATTERN}`);
  }
  if (!spec.description.trim()) throw new Error(`Tool "${spec.name}" needs a description`);
  if (spec.timeoutMs !== undefined && !(spec.timeoutMs > 0)) {
    throw new Error(`Tool "${spec.name}": timeoutMs must be positive`);
  }
  const input = spec.input;
  let jsonSchemas: ToolJsonSchemas | undefined;
  const derived = () => {
    jsonSchemas ??= isJsonSchemaInput(input)
      ? {
          input: input.jsonSchema as Record<string, unknown>,
          ...(spec.output ? { output: jsonSchemaOf(spec.output, 'output') } : {}),
        }
      : deriveJsonSchemas(input, spec.output);
    return jsonSchemas;
  };
  // A JSON Schema input is checked by ajv, loaded with the tool's first call (it is no part of a cold start).
  let checkJsonSchema: ((value: unknown) => ArgumentValidation) | undefined;
  const ready = isJsonSchemaInput(input)
    ? async () => {
        if (checkJsonSchema) return;
        const { compileSchema } = await import('./json-schema.js');
        const check = compileSchema(input.jsonSchema as Record<string, unknown>);
        checkJsonSchema = (value) => {
          const checked = check(value);
          return checked.valid ? { success: true, data: value } : { success: false, issues: checked.issues };
        };
      }
    : undefined;
  return Object.freeze({
    kind: 'code' as const,
    name: spec.name,
    title: spec.title,
    description: spec.description.trim(),
    input: spec.input,
    output: spec.output,
    get inputJsonSchema() {
      return derived().input;
    },
    get outputJsonSchema() {
      return derived().output;
    },
    annotations: spec.annotations,
    scopes: Object.freeze([...(spec.scopes ?? [])]),
    secrets: Object.freeze({ ...(spec.secrets ?? {}) }) as Readonly<Record<string, string>>,
    timeoutMs: spec.timeoutMs,
    auditArguments: spec.audit?.arguments === true,
    ...(spec.idempotency ? { idempotency: Object.freeze({ ...spec.idempotency }) } : {}),
    ...(spec.clientCapabilities ? { clientCapabilities: structuredClone(spec.clientCapabilities) } : {}),
    ...(ready ? { ready } : {}),
    validate(args: unknown): ArgumentValidation {
      if (isJsonSchemaInput(input)) {
        if (!checkJsonSchema) throw new Error(`tool ${spec.name} is validated before ready()`);
        return checkJsonSchema(args);
      }
      const parsed = input.safeParse(args);
      return parsed.success
        ? { success: true, data: parsed.data }
        : { success: false, issues: zodIssues(parsed.error.issues) };
    },
    run: spec.run as ToolDefinition['run'],
    toResult: (value: unknown) => codeToolResult(spec.name, spec.output, value),
  });
}
