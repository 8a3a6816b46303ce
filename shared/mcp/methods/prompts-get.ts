import type { PromptMessage, PromptResult } from '../../tools/define-prompt.js';
import type { Method } from '../dispatch/method.js';
import { JsonRpcError } from '../json-rpc.js';
import { auditRefusal, type ItemServices, serveItem } from '../serve-item.js';

const invalid = (field: string, message: string) =>
  new JsonRpcError('InvalidParams', `Invalid params: ${message}`, { data: { field } });

/**
 * `prompts/get`, both eras: the prompt's messages for the given arguments. An unknown, disabled or not-permitted
 * prompt gets the same -32602; arguments are checked before the prompt runs, each problem naming its field (a
 * required one missing, one the prompt does not take, a value that is not a string).
 */
export function promptsGetMethod(options: ItemServices): Method {
  return {
    eras: ['legacy', 'modern'],
    readsRegistry: true,
    async handle(params, context) {
      const { name, arguments: args } = params;
      if (typeof name !== 'string' || name === '')
        throw invalid('name', '"name" (the prompt to get) is required and must be a string.');
      if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) {
        throw invalid('arguments', '"arguments" must be an object of string values.');
      }
      const snapshot = context.snapshot!;
      const request = { ...context, snapshot };
      const given = (args ?? {}) as Record<string, unknown>;
      const prompt = snapshot.prompt(name, context.principal);
      if (!prompt) {
        await auditRefusal('prompt', name, false, request, options, given);
        throw new JsonRpcError(
          'InvalidParams',
          `Unknown prompt: ${name.slice(0, 128)}. Call prompts/list to see the prompts available to you.`,
          {
            data: { field: 'name' },
          },
        );
      }
      const declared = new Map(prompt.definition.arguments.map((argument) => [argument.name, argument]));
      for (const [key, value] of Object.entries(given)) {
        if (!declared.has(key)) {
          throw invalid(
            `arguments.${key}`,
            `prompt "${name}" takes no argument "${key}" (it takes: ${[...declared.keys()].join(', ') || 'none'}).`,
          );
        }
        if (typeof value !== 'string') throw invalid(`arguments.${key}`, `"${key}" must be a string.`);
      }
      for (const argument of declared.values()) {
        if (argument.required && (given[argument.name] === undefined || given[argument.name] === '')) {
          throw invalid(
            `arguments.${argument.name}`,
            `prompt "${name}" needs the argument "${argument.name}": ${argument.description}`,
          );
        }
      }
      const result = await serveItem<PromptResult>(
        'prompt',
        prompt,
        request,
        options,
        { argumentsForAudit: given },
        (ctx) => prompt.definition.get(given as Record<string, string>, ctx),
      );
      const messages: PromptMessage[] =
        typeof result === 'string'
          ? [{ role: 'user', content: { type: 'text', text: result } }]
          : Array.isArray(result)
            ? result
            : result.messages;
      const description = typeof result === 'object' && !Array.isArray(result) ? result.description : undefined;
      return { value: { description: description ?? prompt.description, messages } };
    },
  };
}
