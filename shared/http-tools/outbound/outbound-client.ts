import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { ToolError } from '../../errors/errors.js';
import { type HttpMethod, IDEMPOTENT_METHODS } from '../spec.js';
import { type AddressClass, type AddressPolicy, classifyAddress, createAddressPolicy } from './address-policy.js';
import { createResolver, guardedLookup, OUTBOUND_FORBIDDEN, type OutboundForbiddenError } from './guarded-lookup.js';
import type { HostAllowlist } from './host-allowlist.js';

/**
 * The only way HTTP tools, and the OpenAPI import, reach the network. Every connection is checked twice: the URL's
 * host against the request's allowed hosts, and each address the host resolves to against the address policy (in the
 * socket's own `lookup`, so what is checked is what is connected to). Redirects are followed by hand, at most five,
 * each hop checked again; credentials never follow a redirect to another host. Idempotent requests are retried on
 * network errors and 408/429/502/503/504.
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
  /**
   * Origins (`http://127.0.0.1:8080`) whose private or loopback addresses may be reached whatever `allowedCidrs`
   * says, judged on every hop by that hop's URL: the OpenAPI import passes its document's own origin. Link-local,
   * metadata and reserved addresses stay refused.
   */
  privateOrigins?: readonly string[];
  /** Keeps connections open for the next request (default); a client for a few one-off requests closes each. */
  keepAlive?: boolean;
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
  /**
   * A body whose Content-Length says it is larger than `maxBytes` is not read at all (the response comes back
   * `truncated`, with an empty body): for callers that refuse such a body rather than use its first bytes.
   */
  skipOversized?: boolean;
  /** Extra attempts; used only for idempotent methods. */
  retries: number;
  signal: AbortSignal;
  /** No retry is started that would wait past this time (ms since the epoch). */
  deadline?: number;
  /**
   * Follows a redirect from https to plain http, which is refused by default (what a request carries would go out in
   * clear text): only for requests that carry nothing secret, such as the OpenAPI import's GETs.
   */
  followDowngrades?: boolean;
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

/**
 * A request the client refused or could not complete, with what it was about: the URL of the hop (after `hop`
 * redirects) and, for an address the policy refused, that address and its class. A ToolError, worded for the model;
 * callers that word their own messages (the OpenAPI import) decide on `code` and read these fields.
 */
export class OutboundError extends ToolError {
  readonly url: URL;
  readonly hop: number;
  readonly address?: string;
  readonly addressClass?: AddressClass;

  constructor(
    code: string,
    message: string,
    where: { url: URL; hop: number; address?: string; addressClass?: AddressClass },
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.url = where.url;
    this.hop = where.hop;
    if (where.address !== undefined) this.address = where.address;
    if (where.addressClass !== undefined) this.addressClass = where.addressClass;
  }
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

function forbidden(
  host: string,
  why: string,
  where: { url: URL; hop: number; address?: string; addressClass?: AddressClass },
): OutboundError {
  return new OutboundError(
    OUTBOUND_FORBIDDEN,
    `The request to ${host} was refused: ${why}. This tool may not reach it; changing the arguments will not help.`,
    where,
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

/** One address policy with the lookup that enforces it and the agents whose sockets were connected through it. */
interface Guard {
  policy: AddressPolicy;
  lookup: ReturnType<typeof guardedLookup>;
  agents: { 'http:': HttpAgent; 'https:': HttpsAgent };
}

export function createOutboundClient(options: OutboundOptions = {}): OutboundClient {
  const resolver = createResolver(options.dnsServers);
  const keepAlive = options.keepAlive ?? true;
  const guard = (policy: AddressPolicy): Guard => {
    const lookup = guardedLookup(resolver, policy);
    // Agents of their own: pooled sockets were connected through this guard's lookup, and only it reuses them.
    return {
      policy,
      lookup,
      agents: {
        'http:': new HttpAgent({ keepAlive, lookup, timeout: 30_000 }),
        'https:': new HttpsAgent({
          keepAlive,
          lookup,
          timeout: 30_000,
          ...(options.ca ? { ca: [...rootCertificates, ...[options.ca].flat()] } : {}),
        }),
      },
    };
  };
  const guarded = guard(createAddressPolicy({ allowedCidrs: options.allowedCidrs }));
  const privateOrigins = new Set((options.privateOrigins ?? []).map((origin) => new URL(origin).origin));
  const vouched = privateOrigins.size
    ? guard(createAddressPolicy({ allowedCidrs: options.allowedCidrs, allowPrivate: true }))
    : undefined;
  /** The guard a hop's URL connects through: its origin decides, on every hop. */
  const guardOf = (url: URL): Guard => (vouched && privateOrigins.has(url.origin) ? vouched : guarded);
  const backoffMs = options.backoffMs ?? 100;

  /** One request/response exchange, no redirects, no retries. */
  function exchange(
    method: string,
    url: URL,
    hop: number,
    headers: Record<string, string>,
    body: string | undefined,
    request: OutboundRequest,
  ): Promise<{ response: IncomingMessage; read: () => Promise<OutboundResponse> }> {
    const { policy, lookup, agents } = guardOf(url);
    // Literal IP hosts never reach `lookup`: check them here.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal)) {
      const why = policy.refusal(literal);
      if (why) {
        const refused = { address: literal, addressClass: classifyAddress(literal) };
        return Promise.reject(forbidden(url.host, `it is ${why}`, { url, hop, ...refused }));
      }
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
            read: () => readCapped(response, request.maxBytes, method === 'HEAD', url, request.skipOversized === true),
          }),
      );
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        if (request.signal.aborted) return reject(request.signal.reason);
        if (error.code === OUTBOUND_FORBIDDEN) {
          const { address, addressClass } = error as unknown as OutboundForbiddenError;
          return reject(forbidden(url.host, error.message, { url, hop, address, addressClass }));
        }
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
          { url, hop },
        );
      }
      const { response, read } = await exchange(method, url, hop, headers, body, request);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (!REDIRECTS.has(status) || !location) return read();
      response.destroy();
      if (hop >= MAX_REDIRECTS) {
        throw new OutboundError(
          'UPSTREAM_TOO_MANY_REDIRECTS',
          `The upstream API redirected more than ${MAX_REDIRECTS} times.`,
          { url, hop },
        );
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch (error) {
        throw new OutboundError(
          'UPSTREAM_INVALID_RESPONSE',
          'The upstream API redirected to an invalid URL.',
          { url, hop },
          { cause: error },
        );
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw forbidden(next.protocol, 'the upstream redirected to a scheme other than http(s)', {
          url: next,
          hop: hop + 1,
        });
      }
      if (url.protocol === 'https:' && next.protocol === 'http:' && !request.followDowngrades) {
        // A downgrade would send the request (and whatever it carries) in clear text.
        throw forbidden(next.host, 'the upstream redirected from https to plain http', { url: next, hop: hop + 1 });
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
function readCapped(
  response: IncomingMessage,
  maxBytes: number,
  head: boolean,
  url: URL,
  skipOversized: boolean,
): Promise<OutboundResponse> {
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
  if (skipOversized && declared !== undefined && declared > maxBytes) {
    response.destroy();
    return Promise.resolve({ ...base, body: Buffer.alloc(0), truncated: true, totalBytes: declared });
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
