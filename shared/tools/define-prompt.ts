import type { Completer, ItemContext, ResourceAnnotations } from './define-resource.js';
import { TOOL_NAME_PATTERN } from './naming.js';

/** A prompt argument: a string the client asks the user for. */
export interface PromptArgumentSpec<SecretName extends string = string> {
  description: string;
  /** @default false */
  required?: boolean;
  /** Completions of the argument: a list (filtered by the typed prefix), or a function. */
  complete?: Completer<SecretName>;
}

/** What a prompt message holds: text, an image or audio (base64), an embedded resource, or a link to one. */
export type PromptContent =
  | { type: 'text'; text: string; annotations?: ResourceAnnotations }
  | { type: 'image' | 'audio'; data: string; mimeType: string; annotations?: ResourceAnnotations }
  | {
      type: 'resource';
      resource: { uri: string; mimeType?: string; text: string } | { uri: string; mimeType?: string; blob: string };
      annotations?: ResourceAnnotations;
    }
  | { type: 'resource_link'; uri: string; name: string; description?: string; mimeType?: string };

export interface PromptMessage {
  role: 'user' | 'assistant';
  content: PromptContent;
}

/** What `get` returns: messages (a string is one user message), with a description if it depends on the arguments. */
export type PromptResult = string | PromptMessage[] | { description?: string; messages: PromptMessage[] };

export interface PromptSpec<Args extends string, Secrets extends Record<string, string>> {
  /** The prompt's name; must equal the folder name with `-` turned into `_`. */
  name: string;
  title?: string;
  description: string;
  arguments?: Record<Args, PromptArgumentSpec<Extract<keyof Secrets, string>>>;
  /** Scopes a caller needs to see and get the prompt (all of them). Operators can change these in the manifest. */
  scopes?: string[];
  secrets?: Secrets;
  get(
    args: Readonly<Record<Args, string | undefined>>,
    ctx: ItemContext<Extract<keyof Secrets, string>>,
  ): Promise<PromptResult>;
}

export interface PromptArgumentMetadata {
  name: string;
  description: string;
  required: boolean;
  /** A fixed list of completions; functions need the module. */
  completions?: readonly string[];
  completedByFunction: boolean;
}

/** What the platform knows of a prompt without its module. */
export interface PromptMetadata {
  name: string;
  title?: string;
  description: string;
  arguments: readonly PromptArgumentMetadata[];
  scopes: readonly string[];
  secrets: Readonly<Record<string, string>>;
}

export interface PromptDefinition extends PromptMetadata {
  readonly kind: 'prompt';
  ready?(): Promise<void>;
  get(args: Readonly<Record<string, string>>, ctx: ItemContext): Promise<PromptResult>;
  completeArgument(
    name: string,
    value: string,
    ctx: ItemContext & { arguments: Readonly<Record<string, string>> },
  ): Promise<readonly string[]>;
}

/**
 * Declares a prompt. Put `export default definePrompt({...})` in `functions/prompts/<name>/prompt.ts`; the folder is
 * all it takes for the prompt to be listed and served.
 */
export function definePrompt<
  Args extends string = never,
  Secrets extends Record<string, string> = Record<never, string>,
>(spec: PromptSpec<Args, Secrets>): PromptDefinition {
  if (!TOOL_NAME_PATTERN.test(spec.name)) throw new Error(`Prompt name "${spec.name}" must match ${TOOL_NAME_PATTERN}`);
  if (!spec.description.trim()) throw new Error(`Prompt "${spec.name}" needs a description`);
  const entries = Object.entries(spec.arguments ?? {}) as [string, PromptArgumentSpec][];
  for (const [name, argument] of entries) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name))
      throw new Error(`Prompt "${spec.name}": argument name "${name}" is not valid`);
    if (!argument.description?.trim()) throw new Error(`Prompt "${spec.name}": argument "${name}" needs a description`);
  }
  const completers = new Map(
    entries.flatMap(([name, argument]) => (argument.complete ? [[name, argument.complete]] : [])),
  );
  return Object.freeze({
    kind: 'prompt' as const,
    name: spec.name,
    ...(spec.title ? { title: spec.title } : {}),
    description: spec.description.trim(),
    arguments: entries.map(([name, argument]) => ({
      name,
      description: argument.description.trim(),
      required: argument.required === true,
      ...(Array.isArray(argument.complete) ? { completions: argument.complete } : {}),
      completedByFunction: typeof argument.complete === 'function',
    })),
    scopes: Object.freeze([...(spec.scopes ?? [])]),
    secrets: Object.freeze({ ...(spec.secrets ?? {}) }) as Readonly<Record<string, string>>,
    get: spec.get as PromptDefinition['get'],
    async completeArgument(
      name: string,
      value: string,
      ctx: ItemContext & { arguments: Readonly<Record<string, string>> },
    ) {
      const completer = completers.get(name);
      if (completer === undefined) return [];
      return typeof completer === 'function' ? completer(value, ctx as never) : completer;
    },
  });
}
