import { z } from 'zod';
import { ToolError } from '../errors/errors.js';

/** The convention for an upstream HTTP API's secret: `{"apiKey":"...","baseUrl":"https://..."}` (baseUrl optional). */
const credentialSchema = z.object({
  apiKey: z.string().min(1),
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
});

export interface HttpCredential {
  apiKey: string;
  /** Without a trailing slash. */
  baseUrl: string;
}

/**
 * Parses an upstream credential. A malformed one is a `CREDENTIAL_INVALID` tool error naming the service, never the
 * value: the parse error is not attached as a cause, since JSON.parse messages quote the text they choked on.
 */
export function parseHttpCredential(
  raw: string | undefined,
  options: { service: string; defaultBaseUrl: string },
): HttpCredential {
  const misconfigured = () =>
    new ToolError(
      'CREDENTIAL_INVALID',
      `The ${options.service} credential is misconfigured; ask an operator to fix it.`,
    );
  let json: unknown;
  try {
    json = JSON.parse(raw ?? '');
  } catch {
    throw misconfigured();
  }
  const parsed = credentialSchema.safeParse(json);
  if (!parsed.success) throw misconfigured();
  return { apiKey: parsed.data.apiKey, baseUrl: (parsed.data.baseUrl ?? options.defaultBaseUrl).replace(/\/+$/, '') };
}

/** Whether a failed fetch was the deadline (or a cancellation) rather than the upstream. */
export function isAbort(error: unknown, signal: AbortSignal): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return signal.aborted || name === 'AbortError' || name === 'TimeoutError';
}
