import { ToolError } from '../../errors/errors.js';
import type { InputKind, ToolContext } from '../../tools/define-tool.js';

/** What a tool asks a client for, as the client capability that answers it. */
export const INPUT_CAPABILITY: Readonly<Record<InputKind, string>> = {
  elicitation: 'elicitation',
  sampling: 'sampling',
  roots: 'roots',
};

/**
 * The refusal of a request for input the client cannot answer: a legacy-era client (server-to-client requests need a
 * session this cluster does not keep), or a 2026-07-28 client that did not declare the capability.
 */
export function inputUnavailable(tool: string, kind: InputKind, why: 'legacy' | 'capability'): ToolError {
  const needs =
    kind === 'elicitation' ? "the user's answer" : kind === 'sampling' ? "the client's model" : "the client's roots";
  const because =
    why === 'legacy'
      ? 'this request uses a protocol version before 2026-07-28, in which this cluster cannot ask the client'
      : `this request's _meta does not declare the "${INPUT_CAPABILITY[kind]}" client capability`;
  return new ToolError(
    'INPUT_UNAVAILABLE',
    `Tool "${tool}" needs ${needs} (${kind}) to continue, and ${because}. Call it from a client that speaks MCP 2026-07-28 and declares the ${INPUT_CAPABILITY[kind]} capability.`,
  );
}

/** The input part of a tool context when the client can answer nothing. */
export function noInputs(
  tool: string,
  why: 'legacy' | 'capability',
): Pick<ToolContext, 'canAsk' | 'elicit' | 'sample' | 'listRoots'> {
  return {
    canAsk: () => false,
    elicit: () => Promise.reject(inputUnavailable(tool, 'elicitation', why)),
    sample: () => Promise.reject(inputUnavailable(tool, 'sampling', why)),
    listRoots: () => Promise.reject(inputUnavailable(tool, 'roots', why)),
  };
}
