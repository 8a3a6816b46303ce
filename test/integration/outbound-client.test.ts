import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createHostAllowlist } from '../../shared/http-tools/outbound/host-allowlist.js';
import { createOutboundClient, type OutboundRequest } from '../../shared/http-tools/outbound/outbound-client.js';
import { type DnsServer, startDnsServer } from '../helpers/dns-server.js';
import { json, startUpstream, type Upstream } from '../helpers/upstream.js';

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

describe('the guarded outbound client, against loopback upstreams', () => {
  let api: Upstream;
  let other: Upstream;
  let dns: DnsServer;
  let flaky = 0;

  before(async () => {
    other = await startUpstream((_req, res) => json(res, 200, { from: 'other' }));
    api = await startUpstream((req, res) => {
      if (req.path === '/ok') return json(res, 200, { ok: true, auth: req.headers.authorization ?? null });
      if (req.path === '/hop') return void res.writeHead(302, { location: '/ok' }).end();
      if (req.path === '/to-other') return void res.writeHead(302, { location: `${other.url}/x` }).end();
      if (req.path === '/to-metadata') {
        return void res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      }
      if (req.path === '/see-other') return void res.writeHead(303, { location: '/ok' }).end();
      if (req.path === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
      if (req.path === '/flaky') return flaky++ < 2 ? json(res, 503, { error: 'busy' }) : json(res, 200, { ok: 1 });
      if (req.path === '/unavailable') return json(res, 503, { error: 'down' });
      if (req.path === '/slow') return void setTimeout(() => json(res, 200, { late: true }), 2_000);
      if (req.path === '/big') {
        return void res
          .writeHead(200, { 'content-type': 'text/plain', 'content-length': '50000' })
          .end('x'.repeat(50_000));
      }
      json(res, 404, { message: 'no such thing' });
    });
    dns = await startDnsServer({
      'api.test': ['127.0.0.1'],
      'metadata.test': ['169.254.169.254'],
      'mapped.test': ['::ffff:169.254.169.254'],
      'private.test': ['10.0.0.7'],
    });
  });

  after(async () => {
    await Promise.all([api?.close(), other?.close(), dns?.close()]);
  });

  const client = () => createOutboundClient({ allowedCidrs: LOOPBACK, dnsServers: [dns.server], backoffMs: 10 });

  function request(url: string, overrides: Partial<OutboundRequest> = {}): OutboundRequest {
    return {
      method: 'GET',
      url: new URL(url),
      headers: {},
      allowedHosts: createHostAllowlist([new URL(url).host]),
      maxBytes: 100_000,
      retries: 2,
      signal: new AbortController().signal,
      ...overrides,
    };
  }

  it('follows a redirect within the allowed host', async () => {
    const response = await client().send(request(`${api.url}/hop`));
    assert.equal(response.status, 200);
    assert.equal(response.url.pathname, '/ok');
  });

  it('refuses a redirect to a host the tool may not reach', async () => {
    await assert.rejects(client().send(request(`${api.url}/to-other`)), (error: Error & { code: string }) => {
      assert.equal(error.code, 'OUTBOUND_FORBIDDEN');
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${other.port}`));
      return true;
    });
    assert.equal(other.requests.length, 0);
  });

  it('follows a redirect to another allowed host without the credentials', async () => {
    const response = await client().send(
      request(`${api.url}/to-other`, {
        headers: { authorization: 'Bearer s3cret-token' },
        credentialHeaders: ['authorization'],
        allowedHosts: createHostAllowlist([api.url.slice(7), other.url.slice(7)]),
      }),
    );
    assert.equal(response.status, 200);
    assert.equal(other.requests.at(-1)?.headers.authorization, undefined);
  });

  it('refuses a redirect to the metadata address even when the tool lists it as a host', async () => {
    await assert.rejects(
      client().send(
        request(`${api.url}/to-metadata`, { allowedHosts: createHostAllowlist([api.url.slice(7), '169.254.169.254']) }),
      ),
      { code: 'OUTBOUND_FORBIDDEN' },
    );
  });

  it('refuses a redirect from https to plain http, so nothing it carries goes out in clear text', async () => {
    const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/tls');
    const tls = createHttpsServer(
      {
        cert: readFileSync(join(fixtures, 'loopback-cert.pem')),
        key: readFileSync(join(fixtures, 'loopback-key.pem')),
      },
      (_req, res) => void res.writeHead(302, { location: `${api.url}/ok` }).end(),
    );
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const secure = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
    try {
      const before = api.requests.length;
      const outbound = createOutboundClient({
        allowedCidrs: LOOPBACK,
        ca: readFileSync(join(fixtures, 'loopback-cert.pem'), 'utf8'),
      });
      await assert.rejects(
        outbound.send(
          request(`${secure}/start`, {
            headers: { authorization: 'Bearer s3cret-token' },
            credentialHeaders: ['authorization'],
            allowedHosts: createHostAllowlist([secure.slice(8), api.url.slice(7)]),
          }),
        ),
        (error: Error & { code: string }) => {
          assert.equal(error.code, 'OUTBOUND_FORBIDDEN');
          assert.match(error.message, /from https to plain http/);
          return true;
        },
      );
      assert.equal(api.requests.length, before, 'the plain-http upstream was never called');
    } finally {
      tls.closeAllConnections();
      await new Promise<void>((resolve) => tls.close(() => resolve()));
    }
  });

  it('turns a 303 into a GET without the body', async () => {
    const before = api.requests.length;
    await client().send(
      request(`${api.url}/see-other`, {
        method: 'POST',
        body: '{"a":1}',
        headers: { 'content-type': 'application/json' },
      }),
    );
    const followed = api.requests.slice(before).at(-1)!;
    assert.equal(followed.method, 'GET');
    assert.equal(followed.body, '');
  });

  it('gives up after five redirects', async () => {
    await assert.rejects(client().send(request(`${api.url}/loop`)), { code: 'UPSTREAM_TOO_MANY_REDIRECTS' });
  });

  it('connects to a name the DNS server points at loopback', async () => {
    const response = await client().send(request(`http://api.test:${api.port}/ok`));
    assert.equal(response.status, 200);
  });

  it('refuses a name the DNS server points at the metadata address, even as IPv4-mapped IPv6', async () => {
    for (const name of ['metadata.test', 'mapped.test']) {
      await assert.rejects(
        client().send(request(`http://${name}/latest/meta-data/`)),
        (error: Error & { code: string }) => {
          assert.equal(error.code, 'OUTBOUND_FORBIDDEN');
          assert.match(error.message, new RegExp(name));
          return true;
        },
      );
    }
  });

  it('refuses a private address unless its range is allowed', async () => {
    await assert.rejects(client().send(request('http://private.test/')), { code: 'OUTBOUND_FORBIDDEN' });
    await assert.rejects(
      createOutboundClient({ dnsServers: [dns.server] }).send(request(`${api.url}/ok`)),
      { code: 'OUTBOUND_FORBIDDEN' },
      'loopback is private too: refused without OUTBOUND_ALLOWED_CIDRS',
    );
  });

  it('reaches a private origin it is told to vouch for, on every hop by that hop, and nothing else private', async () => {
    const vouching = createOutboundClient({ dnsServers: [dns.server], privateOrigins: [api.url], keepAlive: false });
    const both = createHostAllowlist([new URL(api.url).host, new URL(other.url).host, '169.254.169.254']);
    assert.equal((await vouching.send(request(`${api.url}/hop`))).status, 200);
    await assert.rejects(vouching.send(request(`${other.url}/x`, { allowedHosts: both })), {
      code: 'OUTBOUND_FORBIDDEN',
      hop: 0,
      address: '127.0.0.1',
      addressClass: 'private',
    });
    await assert.rejects(vouching.send(request(`${api.url}/to-other`, { allowedHosts: both })), {
      code: 'OUTBOUND_FORBIDDEN',
      hop: 1,
      url: new URL(`${other.url}/x`),
      addressClass: 'private',
    });
    await assert.rejects(vouching.send(request(`${api.url}/to-metadata`, { allowedHosts: both })), {
      code: 'OUTBOUND_FORBIDDEN',
      hop: 1,
      address: '169.254.169.254',
      addressClass: 'forbidden',
    });
  });

  it('refuses literal metadata addresses, v4 and v6', async () => {
    for (const url of [
      'http://169.254.169.254/',
      'http://[fd00:ec2::254]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://0.0.0.0/',
    ]) {
      await assert.rejects(client().send(request(url)), { code: 'OUTBOUND_FORBIDDEN' }, url);
    }
  });

  it('retries an idempotent request on 503 and counts the attempts', async () => {
    flaky = 0;
    const before = api.hits('/flaky').length;
    const response = await client().send(request(`${api.url}/flaky`));
    assert.equal(response.status, 200);
    assert.equal(response.attempts, 3);
    assert.equal(api.hits('/flaky').length - before, 3);
  });

  it('never retries a POST', async () => {
    const before = api.hits('/unavailable').length;
    const response = await client().send(request(`${api.url}/unavailable`, { method: 'POST', body: '{}' }));
    assert.equal(response.status, 503);
    assert.equal(api.hits('/unavailable').length - before, 1);
  });

  it('stops retrying at the deadline', async () => {
    const before = api.hits('/unavailable').length;
    const started = Date.now();
    await client().send(request(`${api.url}/unavailable`, { retries: 5, deadline: Date.now() + 30 }));
    assert.ok(Date.now() - started < 1_000);
    assert.ok(api.hits('/unavailable').length - before <= 2);
  });

  it('stops waiting when the signal aborts (the deadline of the call)', async () => {
    const started = Date.now();
    await assert.rejects(client().send(request(`${api.url}/slow`, { signal: AbortSignal.timeout(200) })));
    assert.ok(Date.now() - started < 1_500);
  });

  it('reads at most maxBytes and says so', async () => {
    const response = await client().send(request(`${api.url}/big`, { maxBytes: 1_000 }));
    assert.equal(response.truncated, true);
    assert.equal(response.body.length, 1_000);
    assert.equal(response.totalBytes, 50_000);
  });

  it('reports an unreachable upstream as retryable', async () => {
    const closed = await startUpstream(() => undefined);
    await closed.close();
    await assert.rejects(client().send(request(`${closed.url}/x`, { retries: 0 })), {
      code: 'UPSTREAM_UNREACHABLE',
      retryable: true,
    });
  });
});
