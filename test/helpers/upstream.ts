/**
 * A real HTTP server on 127.0.0.1 (port 0) standing in for the API an HTTP tool wraps: it records every request it
 * receives (method, path, query, headers, body) and answers with whatever the test's handler says.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Path without the query, as received (still percent-encoded). */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export type UpstreamHandler = (request: ReceivedRequest, response: ServerResponse) => void | Promise<void>;

export interface Upstream {
  /** `http://127.0.0.1:port` */
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Requests whose path starts with `prefix`. */
  hits(prefix: string): ReceivedRequest[];
  close(): Promise<void>;
}

export function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

export async function startUpstream(handler: UpstreamHandler): Promise<Upstream> {
  const requests: ReceivedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://upstream');
    const received: ReceivedRequest = {
      method: req.method ?? '',
      path: (req.url ?? '/').split('?')[0]!,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    requests.push(received);
    try {
      await handler(received, res);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    hits: (prefix) => requests.filter((request) => request.path.startsWith(prefix)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
