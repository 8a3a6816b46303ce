/**
 * Section 4's upstream API, in its own process: `GET /items/{id}` answers a small JSON document after
 * `BENCH_UPSTREAM_DELAY_MS`, like a fast API in the same region would. Loopback only; reports its port over IPC
 * and exits when the parent closes the channel.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const delayMs = Number(process.env.BENCH_UPSTREAM_DELAY_MS ?? '20');

const server = createServer((request, response) => {
  request.resume();
  const match = /^\/items\/([A-Za-z0-9-]+)$/.exec(request.url ?? '');
  setTimeout(() => {
    const status = match ? 200 : 404;
    const body = JSON.stringify(
      match ? { id: match[1], name: `Item ${match[1]}`, inStock: true } : { error: 'not found' },
    );
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  }, delayMs);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
