import type { ClientCapabilities } from '@modelcontextprotocol/server';
import type { InputKind, ToolContext } from '../../tools/define-tool.js';
import { INPUT_CAPABILITY, inputUnavailable, noInputs } from './unavailable.js';

/** One request for input, as `inputRequests` carries it (MCP 2026-07-28). */
export interface InputRequest {
  method: 'elicitation/create' | 'sampling/createMessage' | 'roots/list';
  params: Record<string, unknown>;
}

/** What a tool's request for input without an answer yet rejects with: the call ends with `input_required`. */
export class InputRequiredSignal extends Error {
  constructor() {
    super('the tool needs input from the client');
    this.name = 'InputRequiredSignal';
  }
}

const METHOD: Readonly<Record<InputKind, InputRequest['method']>> = {
  elicitation: 'elicitation/create',
  sampling: 'sampling/createMessage',
  roots: 'roots/list',
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether an answer has the shape its kind of request is answered with; one that does not is asked again. */
function answers(kind: InputKind, value: unknown): boolean {
  if (!isObject(value)) return false;
  if (kind === 'elicitation') {
    return (
      ['accept', 'decline', 'cancel'].includes(value.action as string) &&
      (value.content === undefined || isObject(value.content))
    );
  }
  if (kind === 'sampling') return typeof value.role === 'string' && isObject(value.content);
  return Array.isArray(value.roots);
}

/** One run of a tool that may ask the client for input: its context, then what it asked and did not get. */
export interface InputRound {
  context: Pick<ToolContext, 'canAsk' | 'elicit' | 'sample' | 'listRoots'>;
  /** The requests made during the run that have no answer, by key. */
  readonly pending: Readonly<Record<string, InputRequest>>;
  /** The answers used during the run, by key (they go into the next state). */
  readonly used: Readonly<Record<string, unknown>>;
}

/**
 * The input side of a tool context for one run. `declared` are the client capabilities of a 2026-07-28 request
 * (legacy requests have none: nothing can be asked); `given` the answers known for this run (from the state and the
 * retry's `inputResponses`). A request whose key has a well-formed answer resolves with it; any other is recorded as
 * pending and rejects, which ends the call with `input_required`.
 */
export function createInputRound(
  tool: string,
  declared: ClientCapabilities | undefined,
  given: Readonly<Record<string, unknown>>,
): InputRound {
  const pending: Record<string, InputRequest> = {};
  const used: Record<string, unknown> = {};
  if (!declared) return { context: noInputs(tool, 'legacy'), pending, used };
  const canAsk = (kind: InputKind) => isObject((declared as Record<string, unknown>)[INPUT_CAPABILITY[kind]]);
  let sequence = 0;
  const ask = <T>(kind: InputKind, key: string | undefined, params: Record<string, unknown>): Promise<T> => {
    if (!canAsk(kind)) return Promise.reject(inputUnavailable(tool, kind, 'capability'));
    const name = key ?? `${kind}-${++sequence}`;
    const answer = given[name];
    if (Object.hasOwn(given, name) && answers(kind, answer)) {
      used[name] = answer;
      return Promise.resolve(answer as T);
    }
    pending[name] = { method: METHOD[kind], params };
    return Promise.reject(new InputRequiredSignal());
  };
  return {
    pending,
    used,
    context: {
      canAsk,
      elicit: ({ key, ...params }) => ask('elicitation', key, params),
      sample: ({ key, ...params }) => ask('sampling', key, params),
      listRoots: (request) => ask('roots', request?.key, {}),
    },
  };
}
