import type { Method } from '../dispatch/method.js';
import { JsonRpcError } from '../json-rpc.js';
import type { ItemServices } from '../serve-item.js';
import { completeItem } from '../serve-item.js';

/** What MCP allows in one answer. */
const MAX_VALUES = 100;

const invalid = (field: string, message: string) =>
  new JsonRpcError('InvalidParams', `Invalid params: ${message}`, { data: { field } });

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `completion/complete`, both eras: values for a prompt argument (`ref/prompt`) or a resource template variable
 * (`ref/resource`), from the list or function declared next to it, filtered by the typed prefix (case-insensitive)
 * and capped at 100 (`total` and `hasMore` say how many matched). A prompt or template the caller may not use is
 * unknown (-32602), as are arguments it does not declare.
 */
export function completionCompleteMethod(options: ItemServices): Method {
  return {
    eras: ['legacy', 'modern'],
    readsRegistry: true,
    async handle(params, context) {
      const { ref, argument } = params;
      if (!isObject(ref) || (ref.type !== 'ref/prompt' && ref.type !== 'ref/resource')) {
        throw invalid('ref', '"ref" must be { type: "ref/prompt", name } or { type: "ref/resource", uri }.');
      }
      if (!isObject(argument) || typeof argument.name !== 'string' || typeof argument.value !== 'string') {
        throw invalid('argument', '"argument" must be { name, value } with string values.');
      }
      const resolved = isObject(params.context) && isObject(params.context.arguments) ? params.context.arguments : {};
      const known = Object.fromEntries(
        Object.entries(resolved).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      );
      const snapshot = context.snapshot!;
      const request = { ...context, snapshot };
      let values: readonly string[];
      if (ref.type === 'ref/prompt') {
        const prompt = typeof ref.name === 'string' ? snapshot.prompt(ref.name, context.principal) : undefined;
        if (!prompt) throw invalid('ref.name', `Unknown prompt: ${String(ref.name).slice(0, 128)}.`);
        if (!prompt.definition.arguments.some((a) => a.name === argument.name)) {
          throw invalid('argument.name', `prompt "${prompt.name}" has no argument "${argument.name}".`);
        }
        values = await completeItem(prompt, request, options, (ctx) =>
          prompt.definition.completeArgument(argument.name as string, argument.value as string, {
            ...ctx,
            arguments: known,
          }),
        );
      } else {
        const resource = typeof ref.uri === 'string' ? snapshot.template(ref.uri, context.principal) : undefined;
        if (!resource) throw invalid('ref.uri', `Unknown resource template: ${String(ref.uri).slice(0, 256)}.`);
        if (!resource.template!.variables.includes(argument.name)) {
          throw invalid('argument.name', `resource template ${ref.uri} has no variable "${argument.name}".`);
        }
        values = await completeItem(resource, request, options, (ctx) =>
          resource.definition.completeVariable(argument.name as string, argument.value as string, {
            ...ctx,
            arguments: known,
          }),
        );
      }
      const prefix = argument.value.toLowerCase();
      const matching = [...new Set(values)].filter(
        (value) => typeof value === 'string' && value.toLowerCase().startsWith(prefix),
      );
      return {
        value: {
          completion: {
            values: matching.slice(0, MAX_VALUES),
            total: matching.length,
            hasMore: matching.length > MAX_VALUES,
          },
        },
      };
    },
  };
}
