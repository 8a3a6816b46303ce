import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { ToolError } from '../../errors/errors.js';
import { type HttpMethod, IDEMPOTENT_METHODS } from '../spec.js';
import { type AddressPolicy, createAddressPolicy } from './address-policy.js';
import { createResolver, guardedLookup, OUTBOUND_FORBIDDEN } from './guarded-lookup.js';
import type { HostAllowlist } from './host-allowlist.js';

/**
 * The only way HTTP tools reach the network. Every connection is checked twice: the URL's host against the tool's
 * allowed hosts, and each address the host resolves to against the address policy (in the socket's own `lookup`, so
 * what is checked is what is connected to). Redirects are followed by hand, within the allowed hosts; credentials
 * never follow a redirect to another host. Idempotent requests are retried on network errors and 408/429/502/503/504.
 */

export interface OutboundOptions {
  /** CIDRs of private ranges tools may reach (OUTBOUND_ALLOWED_CIDRS); metadata and link-local stay refused. */
  allowedCidrs?: readonly string[];
  /** DNS servers (`ip:port`) for tool hosts (OUTBOUND_DNS_SERVERS); the system resolver when empty. */
  dnsServers?: readonly string[];
  /** Base of the exponential backoff between attempts. */
  backoffMs?: number;
  /** Certificate authorities (PEM) trusted besides Node's own, for upstreams behind a private CA. */
  ca?: string | readonly string[];
}

export interface OutboundRequest {
  method: HttpMethod;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  allowedHosts: HostAllowlist;
  /** Headers that carry credentials: dropped when a redirect leaves the original host. */
  credentialHeaders?: readonly string[];
  /** Query parameter that carries a credential: removed from a redirect to another host. */
  credentialQuery?: string;
  maxBytes: number;
  /** Extra attempts; used only for idempotent methods. */
  retries: number;
  signal: AbortSignal;
  /** No retry is started that would wait past this time (ms since the epoch). */
  deadline?: number;
}

export interface OutboundResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  /** At most `maxBytes` of the body. */
  body: Buffer;
  truncated: boolean;
  /** The body's full size when known (Content-Length), for the truncation note. */
  totalBytes?: number;
  /** Where the final response came from (after redirects). */
  url: URL;
  attempts: number;
}

export interface OutboundClient {
  send(request: OutboundRequest): Promise<OutboundResponse>;
}

export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRY_STATUSES = new Set([408, 429, 502, 503, 504]);
const RETRY_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);
/** The longest `Retry-After` honoured by waiting; a longer one is passed on to the model instead. */
const MAX_RETRY_AFTER_MS = 5_000;

/** Seconds of a `Retry-After` header (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterSeconds(headers: IncomingHttpHeaders, now = Date.now()): number | undefined {
  const value = headers['retry-after'];
  if (typeof value !== 'string' || !value.trim()) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function forbidden(host: string, why: string): ToolError {
  return new ToolError(
    OUTBOUND_FORBIDDEN,
    `The request to ${host} was refused: ${why}. This tool may not reach it; changing the arguments will not help.`,
  );
}

function networkFailure(error: NodeJS.ErrnoException, host: string): ToolError {
  if (error.code === 'ENOTFOUND') {
    return new ToolError('UPSTREAM_UNREACHABLE', `The upstream host ${host} could not be found (DNS).`, {
      cause: error,
    });
  }
  const transient = RETRY_NETWORK_CODES.has(error.code ?? '');
  return new ToolError(
    'UPSTREAM_UNREACHABLE',
    `The upstream API at ${host} could not be reached (${error.code ?? 'network error'})${transient ? '; retrying later may help' : ''}.`,
    { cause: error, retryable: transient },
  );
}

export function createOutboundClient(options: OutboundOptions = {}): OutboundClient {
  const policy: AddressPolicy = createAddressPolicy({ allowedCidrs: options.allowedCidrs });
  const lookup = guardedLookup(createResolver(options.dnsServers), policy);
  // Agents of their own: pooled sockets were connected through this client's lookup, and only this client reuses them.
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, lookup, timeout: 30_000 }),
    'https:': new HttpsAgent({
      keepAlive: true,
      lookup,
      timeout: 30_000,
      ...(options.ca ? { ca: [...rootCertificates, ...[options.ca].flat()] } : {}),
    }),
  };
  const backoffMs = options.backoffMs ?? 100;

  /** One request/response exchange, no redirects, no retries. */
  function exchange(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    request: OutboundRequest,
  ): Promise<{ response: IncomingMessage; read: () => Promise<OutboundResponse> }> {
    // Literal IP hosts never reach `lookup`: check them here.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal)) {
      const why = policy.refusal(literal);
      if (why) return Promise.reject(forbidden(url.host, `it is ${why}`));
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
    return new Promise((resolve, reject) => {
      const outgoing = send(
        url,
        {
          method,
          headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) },
          agent,
          lookup,
          signal: request.signal,
        },
        (response) =>
          resolve({
            response,
            read: () => readCapped(response, request.maxBytes, method === 'HEAD', url),
          }),
      );
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        if (request.signal.aborted) return reject(request.signal.reason);
        if (error.code === OUTBOUND_FORBIDDEN) return reject(forbidden(url.host, error.message));
        reject(networkFailure(error, url.host));
      });
      outgoing.end(body);
    });
  }

  /** Follows redirects by hand: each hop's host must be allowed, and its addresses are checked again on connect. */
  async function followRedirects(request: OutboundRequest): Promise<OutboundResponse> {
    let url = request.url;
    let method: string = request.method;
    let body = request.body;
    let headers = { ...request.headers };
    // Scheme, host and port: credentials go to exactly the origin the tool was configured with.
    const origin = request.url.origin;
    for (let hop = 0; ; hop++) {
      if (!request.allowedHosts.allows(url)) {
        throw forbidden(
          url.host,
          hop === 0
            ? 'it is not an allowed host of this tool'
            : 'the upstream redirected there, and it is not an allowed host of this tool',
        );
      }
      const { response, read } = await exchange(method, url, headers, body, request);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (!REDIRECTS.has(status) || !location) return read();
      response.destroy();
      if (hop >= MAX_REDIRECTS) {
        throw new ToolError(
          'UPSTREAM_TOO_MANY_REDIRECTS',
          `The upstream API redirected more than ${MAX_REDIRECTS} times.`,
        );
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new ToolError('UPSTREAM_INVALID_RESPONSE', 'The upstream API redirected to an invalid URL.');
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw forbidden(next.protocol, 'the upstream redirected to a scheme other than http(s)');
      }
      if (url.protocol === 'https:' && next.protocol === 'http:') {
        // A downgrade would send the request (and whatever it carries) in clear text.
        throw forbidden(next.host, 'the upstream redirected from https to plain http');
      }
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        body = undefined;
        const { 'content-type': _type, ...rest } = headers;
        headers = rest;
      }
      if (next.origin !== origin) {
        // Credentials are for the tool's own origin: never hand them to another host, port or scheme.
        const drop = new Set((request.credentialHeaders ?? []).map((name) => name.toLowerCase()));
        headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !drop.has(name.toLowerCase())));
        if (request.credentialQuery) next.searchParams.delete(request.credentialQuery);
      }
      url = next;
    }
  }

  return {
    async send(request) {
      const maxAttempts = IDEMPOTENT_METHODS.has(request.method) ? request.retries + 1 : 1;
      for (let attempt = 1; ; attempt++) {
        let response: OutboundResponse | undefined;
        let failure: ToolError | undefined;
        try {
          response = await followRedirects(request);
          if (!RETRY_STATUSES.has(response.status)) return { ...response, attempts: attempt };
        } catch (error) {
          if (!(error instanceof ToolError) || !error.retryable) throw error;
          failure = error;
        }
        const retryAfter = response ? retryAfterSeconds(response.headers) : undefined;
        const delay =
          retryAfter !== undefined ? retryAfter * 1000 : backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random());
        const tooLate = request.deadline !== undefined && Date.now() + delay + 50 >= request.deadline;
        if (attempt >= maxAttempts || delay > MAX_RETRY_AFTER_MS || tooLate) {
          if (response) return { ...response, attempts: attempt };
          throw failure;
        }
        await sleep(delay, request.signal);
      }
    },
  };
}

/** Reads at most `maxBytes` of the body, then stops reading (the socket is destroyed, nothing more is downloaded). */
function readCapped(response: IncomingMessage, maxBytes: number, head: boolean, url: URL): Promise<OutboundResponse> {
  const lengthHeader = response.headers['content-length'];
  const declared = lengthHeader && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  const base = {
    status: response.statusCode ?? 0,
    statusText: response.statusMessage ?? '',
    headers: response.headers,
    url,
    attempts: 1,
  };
  if (head) {
    response.resume();
    return Promise.resolve({ ...base, body: Buffer.alloc(0), truncated: false });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let settled = false;
    response.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (kept + chunk.length > maxBytes) {
        chunks.push(chunk.subarray(0, maxBytes - kept));
        settled = true;
        response.destroy();
        resolve({
          ...base,
          body: Buffer.concat(chunks),
          truncated: true,
          ...(declared ? { totalBytes: declared } : {}),
        });
        return;
      }
      chunks.push(chunk);
      kept += chunk.length;
    });
    response.on('end', () => {
      if (settled) return;
      settled = true;
      resolve({ ...base, body: Buffer.concat(chunks), truncated: false });
    });
    response.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      reject(networkFailure(error, url.host));
    });
    response.on('aborted', () => {
      if (settled) return;
      settled = true;
      reject(networkFailure(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }), url.host));
    });
  });
}
