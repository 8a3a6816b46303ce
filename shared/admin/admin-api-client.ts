/**
 * The remote AdminApi: every operation is one `POST <base>/admin` to the cluster's admin API with a tenant admin key.
 * An AdminError the server answers becomes the same AdminError here (code and message), so the CLI prints the same
 * line and exits with the same code in either mode. The key is sent as a bearer credential and never appears in an
 * error.
 */
import { McpClusterError } from '../errors/errors.js';
import type { AdminApi } from './admin-api.js';
import { AdminError } from './admin-error.js';
import { type AdminErrorBody, isAdminErrorCode, OPERATION_OF } from './admin-operations.js';

/** The admin API refused a request for a reason that is not an AdminError: authentication, a malformed request. */
export class AdminApiError extends McpClusterError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'AdminApiError';
  }
}

/**
 * The admin API's URL for a cluster URL: its MCP endpoint (`…/mcp`), its base (`https://host/stage`), or the admin URL
 * itself. Query and fragment are dropped.
 */
export function adminUrlFor(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('not an http(s) URL');
  const path = url.pathname.replace(/\/+$/, '');
  const base = /\/(mcp|admin)$/.test(path) ? path.replace(/\/(mcp|admin)$/, '') : path;
  return `${url.origin}${base}/admin`;
}

export interface RemoteAdminApiOptions {
  /** The admin API's URL (`adminUrlFor`). */
  url: string;
  /** A tenant admin key. */
  key: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default 30 000 */
  timeoutMs?: number;
}

export function createRemoteAdminApi(options: RemoteAdminApiOptions): AdminApi {
  const send = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function call(operation: string, input: unknown): Promise<unknown> {
    const response = await send(options.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.key}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({ operation, input }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.ok && body && typeof body === 'object' && 'result' in body)
      return (body as { result: unknown }).result;
    const error = (body as Partial<AdminErrorBody> | undefined)?.error;
    if (error && typeof error.code === 'string' && typeof error.message === 'string') {
      if (isAdminErrorCode(error.code)) throw new AdminError(error.code, error.message);
      throw new AdminApiError(error.code, `The admin API refused the request: ${error.message}`, response.status);
    }
    // Not the admin API's own answer (API Gateway's, a proxy's): its status and what it said, briefly.
    const said = (body as { message?: unknown } | undefined)?.message;
    throw new AdminApiError(
      'HTTP',
      `The admin API at ${options.url} answered HTTP ${response.status}${typeof said === 'string' ? `: ${said}` : ''} (is it an mcp-cluster admin URL?)`,
      response.status,
    );
  }

  const api = {} as Record<keyof AdminApi, (input: unknown) => Promise<unknown>>;
  for (const [method, operation] of Object.entries(OPERATION_OF) as [keyof AdminApi, string][]) {
    api[method] = (input) => call(operation, input);
  }
  return api as unknown as AdminApi;
}
