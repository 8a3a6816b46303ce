import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { stopChild } from './child-process.js';

const WORKER_FILE = join(dirname(fileURLToPath(import.meta.url)), 'worker.ts');
/** API Gateway's own payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export interface WorkerPoolOptions {
  size: number;
  /** The bundled handler every worker loads. */
  bundle: string;
  /** Per-invocation deadline, like the Lambda function's timeout. */
  timeoutMs: number;
  /** Where workers' stdout/stderr lines go (their structured logs). */
  onLog?: (line: string, worker: number) => void;
}

/** Where a streamed answer goes as the worker writes it: its status and headers first, then its chunks. */
export interface InvocationStream {
  head(statusCode: number, headers: Record<string, string>, worker: number): void;
  chunk(text: string): void;
}

interface Invocation {
  id: number;
  event: APIGatewayProxyEvent;
  stream?: InvocationStream;
  resolve(answer: { result: APIGatewayProxyResult; worker: number }): void;
  /** API Gateway's own limit on the whole request, queueing included. */
  gatewayTimer: NodeJS.Timeout;
}

interface Slot {
  index: number;
  child?: ChildProcess;
  /** Set once the worker has loaded the handler and said so. */
  ready: boolean;
  /** The one invocation this worker is running, as a Lambda execution environment runs one at a time. */
  current?: { invocation: Invocation; timer: NodeJS.Timeout };
}

/**
 * Worker processes that each play one Lambda execution environment: a worker runs one invocation at a time (Lambda
 * never hands an environment a second event before the first returns), so concurrency is the number of workers.
 * Invocations wait in arrival order for the next free worker; free workers take them in turn, so consecutive requests
 * land on different workers. An invocation that outlives the timeout is answered 504 and its worker replaced, as
 * Lambda discards an environment whose invocation timed out.
 */
export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #slots: Slot[];
  readonly #queue: Invocation[] = [];
  #next = 0;
  #sequence = 0;
  #stopping = false;
  #env: NodeJS.ProcessEnv = {};

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#slots = Array.from({ length: options.size }, (_, index) => ({ index, ready: false }));
  }

  /** Starts the workers with the function's environment; resolves once every worker has loaded the handler. */
  async start(env: NodeJS.ProcessEnv): Promise<void> {
    this.#env = env;
    await Promise.all(this.#slots.map((slot) => this.#spawn(slot)));
  }

  get pids(): number[] {
    return this.#slots.map((slot) => slot.child?.pid ?? 0);
  }

  /** Invocations waiting for a free worker. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Runs one event on the next free worker; resolves with its proxy result and the worker's number. */
  invoke(
    event: APIGatewayProxyEvent,
    stream?: InvocationStream,
  ): Promise<{ result: APIGatewayProxyResult; worker: number }> {
    return new Promise((resolve) => {
      const invocation: Invocation = {
        id: ++this.#sequence,
        event,
        ...(stream ? { stream } : {}),
        resolve,
        gatewayTimer: setTimeout(() => {
          // Still waiting for a worker when API Gateway would have given up: answer as it does.
          const queuedAt = this.#queue.indexOf(invocation);
          if (queuedAt >= 0) this.#queue.splice(queuedAt, 1);
          resolve({ result: gatewayError(504, 'Endpoint request timed out'), worker: -1 });
        }, this.#options.timeoutMs + 1_000),
      };
      this.#queue.push(invocation);
      this.#dispatch();
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const invocation of this.#queue.splice(0))
      this.#answer(invocation, gatewayError(502, 'Internal server error'), -1);
    await Promise.all(this.#slots.map((slot) => stopChild(slot.child, (child) => child.kill('SIGTERM'), 3_000)));
  }

  /** Hands queued invocations to free workers, taking the workers in turn from the one after the last used. */
  #dispatch(): void {
    const size = this.#slots.length;
    while (this.#queue.length > 0) {
      let slot: Slot | undefined;
      for (let i = 0; i < size && !slot; i++) {
        const candidate = this.#slots[(this.#next + i) % size]!;
        if (candidate.ready && !candidate.current) slot = candidate;
      }
      if (!slot) return;
      this.#next = (slot.index + 1) % size;
      this.#run(slot, this.#queue.shift()!);
    }
  }

  #run(slot: Slot, invocation: Invocation): void {
    const timer = setTimeout(() => {
      // Lambda's "Task timed out": the caller gets API Gateway's 504 and the environment is not reused. The slot
      // stops taking work before it is freed, so no queued invocation is handed to the worker about to be killed.
      slot.ready = false;
      this.#options.onLog?.(
        JSON.stringify({
          level: 'error',
          message: 'invocation timed out; worker replaced',
          requestId: requestIdOf(invocation),
        }),
        slot.index,
      );
      const child = slot.child;
      this.#finish(slot, gatewayError(504, 'Endpoint request timed out'));
      child?.kill('SIGKILL');
    }, this.#options.timeoutMs);
    slot.current = { invocation, timer };
    slot.child!.send({ id: invocation.id, event: invocation.event, timeoutMs: this.#options.timeoutMs }, (error) => {
      // A worker that is gone (stopping, crashed) cannot take the event: answer as API Gateway does, 502.
      if (error && slot.current?.invocation === invocation)
        this.#finish(slot, gatewayError(502, 'Internal server error'));
    });
  }

  /** Ends the slot's current invocation with `result` and frees the worker for the next one. */
  #finish(slot: Slot, result: APIGatewayProxyResult): void {
    const current = slot.current;
    if (!current) return;
    clearTimeout(current.timer);
    slot.current = undefined;
    this.#answer(current.invocation, result, slot.index);
    this.#dispatch();
  }

  #answer(invocation: Invocation, result: APIGatewayProxyResult, worker: number): void {
    clearTimeout(invocation.gatewayTimer);
    invocation.resolve({ result, worker });
  }

  #spawn(slot: Slot): Promise<void> {
    const child = fork(WORKER_FILE, [], {
      execArgv: ['--import', 'tsx', '--enable-source-maps'],
      env: { ...this.#env, MCP_HANDLER_BUNDLE: this.#options.bundle },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    slot.child = child;
    slot.ready = false;
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffered += chunk;
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          this.#options.onLog?.(buffered.slice(0, newline), slot.index);
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
        }
      });
    }
    return new Promise<void>((resolve, reject) => {
      child.on('message', (message: WorkerMessage) => {
        const current = message.id === undefined ? undefined : slot.current?.invocation;
        if (message.ready) {
          slot.ready = true;
          resolve();
          this.#dispatch();
        } else if (current && message.id === current.id && message.head) {
          // A streamed answer (the handler uses Lambda response streaming): sent on as it is written.
          current.stream?.head(message.head.statusCode, message.head.headers, slot.index);
        } else if (current && message.id === current.id && message.chunk !== undefined) {
          current.stream?.chunk(message.chunk);
        } else if (current && message.id === current.id && message.streamed) {
          this.#finish(slot, { statusCode: 200, headers: {}, body: '' });
        } else if (message.result && message.id === slot.current?.invocation.id) {
          // Lambda refuses a response over its limit ("Response payload size exceeded"): API Gateway answers 502.
          const size = Buffer.byteLength(JSON.stringify(message.result));
          if (size > MAX_LAMBDA_RESPONSE_BYTES) {
            this.#options.onLog?.(
              JSON.stringify({
                level: 'error',
                message: 'response over the Lambda payload limit',
                bytes: size,
                requestId: requestIdOf(slot.current!.invocation),
              }),
              slot.index,
            );
            this.#finish(slot, gatewayError(502, 'Internal server error'));
          } else {
            this.#finish(slot, message.result);
          }
        }
      });
      // Sends to a worker that just exited fail through their callback; the channel's error needs no more.
      child.on('error', () => undefined);
      child.once('exit', (code, signal) => {
        if (slot.child !== child) return;
        slot.ready = false;
        reject(new Error(`worker ${slot.index} exited during start (code ${code}, signal ${signal})`));
        // Lambda answers an invocation whose environment died with a 502 from API Gateway.
        const lost = slot.current?.invocation;
        this.#finish(slot, gatewayError(502, 'Internal server error'));
        if (this.#stopping) return;
        this.#options.onLog?.(
          JSON.stringify({
            level: 'warn',
            message: 'worker exited; restarting',
            code,
            signal,
            ...(lost ? { requestId: requestIdOf(lost) } : {}),
          }),
          slot.index,
        );
        void this.#spawn(slot).catch(() => undefined);
      });
    });
  }
}

/** What a worker sends over IPC: it is ready, or one invocation's result, or a part of its streamed answer. */
interface WorkerMessage {
  ready?: boolean;
  id?: number;
  result?: APIGatewayProxyResult;
  head?: { statusCode: number; headers: Record<string, string> };
  chunk?: string;
  streamed?: boolean;
}

function requestIdOf(invocation: Invocation): string | undefined {
  return invocation.event.requestContext?.requestId;
}

/** Lambda's limit on a synchronous invocation's response (the proxy result as JSON); a larger one fails as a 502. */
export const MAX_LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024 + 100;
/** Lambda's limit on a synchronous invocation's request (the proxy event as JSON); API Gateway answers 413. */
export const MAX_LAMBDA_REQUEST_BYTES = 6 * 1024 * 1024;

function gatewayError(statusCode: number, message: string): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message }) };
}

/** Node request → API Gateway REST API proxy event (payload v1), as API Gateway would build it. */
export function toProxyEvent(req: IncomingMessage, body: Buffer, resource: string): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiQuery[name] = [...(multiQuery[name] ?? []), value];
  }
  const hasQuery = Object.keys(query).length > 0;
  const requestId = randomUUID();
  const now = Date.now();
  return {
    resource,
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: req.method ?? 'GET',
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? null,
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
      path: `/local${url.pathname}`,
      stage: 'local',
      requestId,
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: resource,
    },
  };
}

/** Routes: path → API Gateway resource. Anything else is a 404, as on API Gateway. */
const ROUTES: Record<string, string> = {
  '/mcp': '/mcp',
  '/.well-known/oauth-protected-resource': '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-protected-resource/mcp': '/.well-known/oauth-protected-resource/mcp',
  '/admin': '/admin',
};

export interface FrontOptions {
  pool: WorkerPool;
  /** Workers running the admin API's bundle, for `/admin` (a function of its own, as deployed); without it, 404. */
  adminPool?: WorkerPool;
  port: number;
  host: string;
  /** Sent as `Authorization: Bearer <key>` for requests that carry no Authorization header (anonymous access). */
  anonymousKey?: string;
}

/**
 * The local API Gateway: one HTTP front on loopback turning requests into proxy events for the worker pool. Like API
 * Gateway, it answers only for its own host names (here 127.0.0.1 and localhost on its port): a request naming
 * another host gets 403, which is also what keeps a DNS-rebinding page away from the cluster.
 */
export async function startFront(options: FrontOptions): Promise<{ server: Server; url: string }> {
  let hosts = new Set<string>();
  const server = createServer((req, res) => {
    // A client that goes away mid-request (an aborted upload, a reset) ends its own request, never the front.
    route(req, res, { ...options, hosts }).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  hosts = new Set([`${options.host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
  return { server, url: `http://${options.host}:${port}` };
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  options: FrontOptions & { hosts: ReadonlySet<string> },
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const resource = ROUTES[path];
  const host = req.headers.host?.toLowerCase();
  if (host !== undefined && !options.hosts.has(host)) {
    req.resume();
    return send(res, gatewayError(403, 'Forbidden'));
  }
  const pool = resource === '/admin' ? options.adminPool : options.pool;
  if (!resource || !pool) {
    req.resume();
    return send(res, gatewayError(404, 'Not Found'));
  }
  // As deployed, the admin API takes POST only (API Gateway has no other method there).
  if (resource === '/admin' && req.method !== 'POST') {
    req.resume();
    return send(res, gatewayError(403, 'Missing Authentication Token'));
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_PAYLOAD_BYTES) return send(res, gatewayError(413, 'Request Too Long'));
      chunks.push(chunk as Buffer);
    }
  } catch {
    // The upload was cut off: there is nobody to answer, and nothing reaches a worker.
    res.destroy();
    return;
  }
  const event = toProxyEvent(req, Buffer.concat(chunks), resource);
  if (options.anonymousKey && req.headers.authorization === undefined && resource !== '/admin') {
    event.headers.Authorization = `Bearer ${options.anonymousKey}`;
    event.multiValueHeaders.Authorization = [`Bearer ${options.anonymousKey}`];
  }
  if (Buffer.byteLength(JSON.stringify(event)) > MAX_LAMBDA_REQUEST_BYTES) {
    return send(res, gatewayError(413, 'Request Too Long'));
  }
  const extra = { 'x-amzn-requestid': event.requestContext.requestId };
  const { result, worker } = await pool.invoke(event, {
    head(statusCode, headers, worker) {
      if (res.headersSent) return;
      res.writeHead(statusCode, { ...headers, ...extra, 'x-mcp-cluster-worker': String(worker) });
      res.flushHeaders();
    },
    chunk(text) {
      if (!res.headersSent) res.writeHead(200, extra);
      res.write(text);
    },
  });
  if (res.headersSent) {
    // A streamed answer ends with the invocation; one cut off (a timeout, a lost worker) just ends, as API Gateway's.
    res.end();
    return;
  }
  send(res, result, { ...extra, 'x-mcp-cluster-worker': String(worker) });
}

function send(res: ServerResponse, result: APIGatewayProxyResult, extra: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const headers: Record<string, string | string[]> = { ...extra };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode, headers);
  res.end(body);
}
