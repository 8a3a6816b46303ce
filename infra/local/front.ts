import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

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

interface Pending {
  resolve(result: APIGatewayProxyResult): void;
  timer: NodeJS.Timeout;
}

interface Slot {
  index: number;
  child?: ChildProcess;
  ready?: Promise<void>;
  pending: Map<number, Pending>;
}

/** Worker processes that each play one Lambda instance; invocations are spread round-robin. */
export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #slots: Slot[];
  #next = 0;
  #sequence = 0;
  #stopping = false;
  #env: NodeJS.ProcessEnv = {};
  #markStarted!: () => void;
  /** Requests that arrive before the workers are spawned wait for this. */
  readonly #started = new Promise<void>((resolve) => {
    this.#markStarted = resolve;
  });

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#slots = Array.from({ length: options.size }, (_, index) => ({ index, pending: new Map() }));
  }

  /** Starts the workers with the function's environment. */
  async start(env: NodeJS.ProcessEnv): Promise<void> {
    this.#env = env;
    const spawned = this.#slots.map((slot) => this.#spawn(slot));
    this.#markStarted();
    await Promise.all(spawned);
  }

  get pids(): number[] {
    return this.#slots.map((slot) => slot.child?.pid ?? 0);
  }

  /** Sends one event to the next worker; resolves with its proxy result and the worker's number. */
  async invoke(event: APIGatewayProxyEvent): Promise<{ result: APIGatewayProxyResult; worker: number }> {
    await this.#started;
    const slot = this.#slots[this.#next++ % this.#slots.length]!;
    await slot.ready;
    const id = ++this.#sequence;
    const result = await new Promise<APIGatewayProxyResult>((resolve) => {
      const timer = setTimeout(() => {
        slot.pending.delete(id);
        resolve(gatewayError(504, 'Endpoint request timed out'));
      }, this.#options.timeoutMs + 1_000);
      slot.pending.set(id, { resolve, timer });
      // A worker that is gone (stopping, crashed) cannot take the event: answer as API Gateway does, 502.
      const failed = () => {
        const pending = slot.pending.get(id);
        if (!pending) return;
        clearTimeout(pending.timer);
        slot.pending.delete(id);
        pending.resolve(gatewayError(502, 'Internal server error'));
      };
      if (!slot.child?.connected) return failed();
      slot.child.send({ id, event, timeoutMs: this.#options.timeoutMs }, (error) => error && failed());
    });
    return { result, worker: slot.index };
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            const child = slot.child;
            if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
          }),
      ),
    );
  }

  #spawn(slot: Slot): Promise<void> {
    const child = fork(WORKER_FILE, [], {
      execArgv: ['--import', 'tsx', '--enable-source-maps'],
      env: { ...this.#env, MCP_HANDLER_BUNDLE: this.#options.bundle },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    slot.child = child;
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
    slot.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: { ready?: boolean; id?: number; result?: APIGatewayProxyResult }) => {
        if (message.ready) return resolve();
        const pending = message.id === undefined ? undefined : slot.pending.get(message.id);
        if (pending && message.result) {
          clearTimeout(pending.timer);
          slot.pending.delete(message.id!);
          pending.resolve(message.result);
        }
      };
      child.on('message', onMessage);
      // Sends to a worker that just exited fail through their callback; the channel's error needs no more.
      child.on('error', () => undefined);
      child.once('exit', (code, signal) => {
        reject(new Error(`worker ${slot.index} exited during start (code ${code}, signal ${signal})`));
        for (const [id, pending] of slot.pending) {
          clearTimeout(pending.timer);
          pending.resolve(gatewayError(502, 'Internal server error'));
          slot.pending.delete(id);
        }
        if (!this.#stopping) {
          this.#options.onLog?.(
            JSON.stringify({ level: 'warn', message: 'worker exited; restarting', code, signal }),
            slot.index,
          );
          void this.#spawn(slot).catch(() => undefined);
        }
      });
    });
    return slot.ready;
  }
}

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
};

/** The local API Gateway: one HTTP front on loopback turning requests into proxy events for the worker pool. */
export async function startFront(options: {
  pool: WorkerPool;
  port: number;
  host: string;
}): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => void route(req, res, options.pool));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${options.host}:${port}` };
}

async function route(req: IncomingMessage, res: ServerResponse, pool: WorkerPool): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const resource = ROUTES[path];
  if (!resource) {
    req.resume();
    return send(res, gatewayError(404, 'Not Found'));
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) return send(res, gatewayError(413, 'Request Too Long'));
    chunks.push(chunk as Buffer);
  }
  const event = toProxyEvent(req, Buffer.concat(chunks), resource);
  const { result, worker } = await pool.invoke(event);
  send(res, result, { 'x-amzn-requestid': event.requestContext.requestId, 'x-mcp-cluster-worker': String(worker) });
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
