import type { CallToolResult } from '@modelcontextprotocol/server';
import { ToolError } from '../errors/errors.js';
import { redactor as processRedactor, type Redactor } from '../logging/redactor.js';
import { type OutboundResponse, retryAfterSeconds } from './outbound/outbound-client.js';

/**
 * How an upstream response becomes the call's result:
 * - 2xx JSON (`application/json`, `*+json`), read whole: `structuredContent` (an object; arrays and scalars are
 *   wrapped as `{ "result": ... }`), checked against the tool's output schema if it has one, plus the JSON as text;
 * - 2xx anything else: the body as text;
 * - a body over the cap: the kept part as text and an explicit truncation note, no `structuredContent`;
 * - 4xx/5xx: a ToolError whose code and message tell the model what went wrong and whether retrying can help.
 */

export const DEFAULT_MAX_BYTES = 100_000;
const EXCERPT_CHARS = 500;

export type CheckOutput = (value: unknown) => string | undefined;

export function isJsonContentType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^[a-z]+\/[a-z0-9.+-]*\+json$/.test(type);
}

function truncationNote(response: OutboundResponse): string {
  const kept = response.body.length;
  const of = response.totalBytes !== undefined ? `of ${response.totalBytes}` : `of more than ${kept}`;
  return `[Response truncated: showed the first ${kept} bytes ${of}]`;
}

/**
 * The successful response as a result. `checkOutput` (the tool has an output schema) returns a problem when structured
 * content breaks the schema; such a tool must always answer with structured content, so a body that cannot give it
 * (cut at the size cap, empty, not JSON) is an error the model can act on rather than a result clients reject.
 */
export function successResult(
  response: OutboundResponse,
  checkOutput?: CheckOutput,
  redactor: Redactor = processRedactor,
): CallToolResult {
  if (response.truncated) {
    // Scrubbed before anything else reads it: the cut may fall inside a secret the upstream echoed.
    const kept = redactor.redactCut(response.body.toString('utf8'));
    if (checkOutput) {
      throw new ToolError(
        'UPSTREAM_RESPONSE_TOO_LARGE',
        `The upstream API answered with more than ${response.body.length} bytes, the most this tool reads, so no ` +
          'structured result could be made. Ask for less (filters, a smaller page or range) if the arguments allow.',
      );
    }
    return { content: [{ type: 'text', text: `${kept}\n\n${truncationNote(response)}` }] };
  }
  const text = response.body.toString('utf8');
  if (text.trim() === '') {
    if (checkOutput) {
      throw new ToolError(
        'UPSTREAM_INVALID_RESPONSE',
        `The upstream API answered HTTP ${response.status} with no content, where this tool expects structured data.`,
      );
    }
    return {
      content: [{ type: 'text', text: `The request succeeded (HTTP ${response.status}) with an empty response.` }],
    };
  }
  let value: unknown;
  let parsed = false;
  if (isJsonContentType(response.headers['content-type'])) {
    try {
      value = JSON.parse(text);
      parsed = true;
    } catch {
      // declared JSON but is not: handled below as text
    }
  }
  if (!parsed) {
    if (checkOutput) {
      throw new ToolError(
        'UPSTREAM_INVALID_RESPONSE',
        `The upstream API answered with ${response.headers['content-type'] ?? 'no content type'} that is not JSON, ` +
          'where this tool expects structured data.',
      );
    }
    return { content: [{ type: 'text', text }] };
  }
  const structured =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { result: value };
  const problem = checkOutput?.(structured);
  if (problem) {
    throw new ToolError(
      'UPSTREAM_INVALID_RESPONSE',
      `The upstream API answered with data that does not match the tool's output schema (${problem}).`,
    );
  }
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: structured };
}

/** A short, single-line excerpt of what the upstream said: its JSON error message if it has one, else the text. */
export function upstreamExcerpt(response: OutboundResponse, redactor: Redactor = processRedactor): string {
  // Scrubbed whole before it is shortened, so no cut leaves part of a secret behind.
  const text = response.truncated
    ? redactor.redactCut(response.body.toString('utf8'))
    : redactor.redact(response.body.toString('utf8'));
  let said = text;
  if (isJsonContentType(response.headers['content-type'])) {
    try {
      const body = JSON.parse(text) as Record<string, unknown>;
      const nested = body?.error as Record<string, unknown> | undefined;
      const candidate = [
        body?.message,
        typeof nested === 'object' ? nested?.message : nested,
        body?.error_description,
        body?.detail,
        body?.title,
      ].find((value) => typeof value === 'string' && value.trim());
      if (typeof candidate === 'string') said = candidate;
    } catch {
      // not JSON after all: the text it is
    }
  }
  const line = said.replace(/\s+/g, ' ').trim();
  return line.length > EXCERPT_CHARS ? `${line.slice(0, EXCERPT_CHARS - 1)}…` : line;
}

/** The ToolError for an upstream 4xx/5xx. */
export function upstreamError(response: OutboundResponse, redactor: Redactor = processRedactor): ToolError {
  const { status } = response;
  const excerpt = upstreamExcerpt(response, redactor);
  const said = excerpt ? `: ${excerpt}` : '';
  const http = `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const retryAfter = retryAfterSeconds(response.headers);

  if (status === 400 || status === 422) {
    return new ToolError(
      'UPSTREAM_BAD_REQUEST',
      `The upstream API rejected the request (${http})${said}. Check the arguments and try again with corrected values.`,
    );
  }
  if (status === 401 || status === 403) {
    return new ToolError(
      'UPSTREAM_UNAUTHORIZED',
      `The upstream API refused the tool's credentials (${http})${said}. Changing the arguments will not help; an operator must check the tool's credential or permissions.`,
    );
  }
  if (status === 404) {
    return new ToolError(
      'UPSTREAM_NOT_FOUND',
      `The upstream API found nothing there (${http})${said}. Check identifiers in the arguments.`,
    );
  }
  if (status === 408) {
    return new ToolError('UPSTREAM_TIMEOUT', `The upstream API timed out (${http})${said}. Retrying may help.`, {
      retryable: true,
    });
  }
  if (status === 429) {
    return new ToolError(
      'UPSTREAM_RATE_LIMITED',
      `The upstream API is rate limiting (${http})${said}. Retry ${retryAfter !== undefined ? `after ${retryAfter} s` : 'later'}.`,
      { retryable: true, ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}) },
    );
  }
  if (status >= 500) {
    const transient = status === 502 || status === 503 || status === 504;
    return new ToolError(
      'UPSTREAM_UNAVAILABLE',
      `The upstream API failed (${http})${said}.${transient ? ' It is temporarily unavailable; retrying later may help.' : ' Retrying the same request is unlikely to help.'}`,
      { retryable: transient, ...(transient && retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}) },
    );
  }
  return new ToolError('UPSTREAM_REJECTED', `The upstream API did not accept the request (${http})${said}.`);
}

/** The result of a whole exchange: success, or the ToolError the status calls for. */
export function mapResponse(
  response: OutboundResponse,
  checkOutput?: CheckOutput,
  redactor: Redactor = processRedactor,
): CallToolResult {
  if (response.status >= 400) throw upstreamError(response, redactor);
  return successResult(response, checkOutput, redactor);
}
