import type { PromptDefinition, PromptMetadata } from './define-prompt.js';
import type { ResourceDefinition, ResourceMetadata } from './define-resource.js';

/** A resource's metadata as plain data (what the generated index carries). */
export function resourceMetadata(resource: ResourceDefinition): ResourceMetadata {
  const { kind: _kind, ready: _ready, read: _read, completeVariable: _complete, ...metadata } = resource;
  return JSON.parse(JSON.stringify(metadata)) as ResourceMetadata;
}

/** A prompt's metadata as plain data (what the generated index carries). */
export function promptMetadata(prompt: PromptDefinition): PromptMetadata {
  const { kind: _kind, ready: _ready, get: _get, completeArgument: _complete, ...metadata } = prompt;
  return JSON.parse(JSON.stringify(metadata)) as PromptMetadata;
}

/**
 * Loads a folder item's module once (concurrent first uses share the load; a failed load is tried again), checking
 * that it is the item the index names (`is`) and still is what the index says: an item edited since its index was
 * generated would be listed one way and served another. Tools (lazy-tool.ts), resources and prompts load so.
 */
export function moduleLoader<D extends { name: string }>(
  item: { label: string; define: string; is(definition: unknown): definition is D },
  metadata: { name: string },
  metadataOf: (definition: D) => unknown,
  load: () => Promise<{ default: unknown }>,
): () => Promise<D> {
  let loaded: D | undefined;
  let loading: Promise<D> | undefined;
  const indexed = JSON.stringify(metadata);
  return async (): Promise<D> => {
    if (loaded) return loaded;
    loading ??= load().then(
      ({ default: definition }) => {
        if (!item.is(definition) || definition.name !== metadata.name) {
          throw new Error(`the module of ${item.label} ${metadata.name} does not export its ${item.define}({...})`);
        }
        if (JSON.stringify(metadataOf(definition)) !== indexed) {
          throw new Error(
            `${item.label} ${metadata.name} changed since its index was generated: run \`npm run tools:index\` (npm start, test and build do)`,
          );
        }
        loaded = definition;
        return definition;
      },
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    );
    return loading;
  };
}

const ofKind =
  <D>(kind: string) =>
  (definition: unknown): definition is D =>
    (definition as { kind?: unknown } | null)?.kind === kind;

/** A folder resource served from its metadata; its module is loaded on its first read (or completion by function). */
export function lazyResource(
  metadata: ResourceMetadata,
  load: () => Promise<{ default: ResourceDefinition }>,
): ResourceDefinition {
  const module = moduleLoader(
    { label: 'resource', define: 'defineResource', is: ofKind<ResourceDefinition>('resource') },
    metadata,
    resourceMetadata,
    load,
  );
  return Object.freeze({
    kind: 'resource' as const,
    ...metadata,
    ready: async () => void (await module()),
    read: async (request, ctx) => (await module()).read(request, ctx),
    async completeVariable(name, value, ctx) {
      const list = metadata.completionLists[name];
      if (list) return list;
      if (!metadata.completionFunctions.includes(name)) return [];
      return (await module()).completeVariable(name, value, ctx);
    },
  } satisfies ResourceDefinition);
}

/** A folder prompt served from its metadata; its module is loaded on its first get (or completion by function). */
export function lazyPrompt(
  metadata: PromptMetadata,
  load: () => Promise<{ default: PromptDefinition }>,
): PromptDefinition {
  const module = moduleLoader(
    { label: 'prompt', define: 'definePrompt', is: ofKind<PromptDefinition>('prompt') },
    metadata,
    promptMetadata,
    load,
  );
  return Object.freeze({
    kind: 'prompt' as const,
    ...metadata,
    ready: async () => void (await module()),
    get: async (args, ctx) => (await module()).get(args, ctx),
    async completeArgument(name, value, ctx) {
      const argument = metadata.arguments.find((a) => a.name === name);
      if (argument?.completions) return argument.completions;
      if (!argument?.completedByFunction) return [];
      return (await module()).completeArgument(name, value, ctx);
    },
  } satisfies PromptDefinition);
}
