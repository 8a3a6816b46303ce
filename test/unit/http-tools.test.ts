import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialOf, injectAuth } from '../../shared/http-tools/auth-injection.js';
import { compileHttpTool, createHttpToolCompiler } from '../../shared/http-tools/compile-http-tool.js';
import { classifyAddress, createAddressPolicy, embeddedIpv4 } from '../../shared/http-tools/outbound/address-policy.js';
import { createHostAllowlist } from '../../shared/http-tools/outbound/host-allowlist.js';
import type { OutboundClient, OutboundResponse } from '../../shared/http-tools/outbound/outbound-client.js';
import { mapRequest, planRequest } from '../../shared/http-tools/request-mapping.js';
import { mapResponse } from '../../shared/http-tools/response-mapping.js';
import type { HttpToolSpec } from '../../shared/http-tools/spec.js';
import { Redactor } from '../../shared/logging/redactor.js';
import { buildSnapshot } from '../../shared/registry/snapshot.js';
import type { ToolManifest } from '../../shared/store/tool-manifests.js';
import { captureLogs } from '../helpers/aws.js';

const noNetwork: OutboundClient = {
  send: () => Promise.reject(new Error('no network in unit tests')),
};

function response(
  status: number,
  body: string,
  headers: Record<string, string> = {},
  more: Partial<OutboundResponse> = {},
): OutboundResponse {
  return {
    status,
    statusText: '',
    headers,
    body: Buffer.from(body),
    truncated: false,
    url: new URL('https://api.example.com/'),
    attempts: 1,
    ...more,
  };
}

describe('address classification', () => {
  it('forbids link-local and cloud metadata addresses, in every spelling', () => {
    for (const address of [
      '169.254.169.254',
      'fd00:ec2::254',
      'fe80::1',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '64:ff9b::169.254.169.254',
      '0.0.0.0',
      '::',
      '224.0.0.1',
      '255.255.255.255',
    ]) {
      assert.equal(classifyAddress(address), 'forbidden', address);
    }
  });

  it('calls loopback, RFC 1918, CGNAT and unique-local addresses private', () => {
    for (const address of [
      '127.0.0.1',
      '::1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '100.64.0.1',
      'fd12::1',
      '::ffff:10.0.0.1',
    ]) {
      assert.equal(classifyAddress(address), 'private', address);
    }
  });

  it('calls everything else public', () => {
    for (const address of ['93.184.216.34', '2606:4700::1111', '172.32.0.1'])
      assert.equal(classifyAddress(address), 'public');
  });

  it('unwraps IPv4-mapped and NAT64 addresses', () => {
    assert.equal(embeddedIpv4('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(embeddedIpv4('::ffff:7f00:1'), '127.0.0.1');
    assert.equal(embeddedIpv4('::1'), undefined);
    assert.equal(embeddedIpv4('2001:db8::1'), undefined);
  });

  it('opens a private range only when allowed, and never a forbidden one', () => {
    const policy = createAddressPolicy({ allowedCidrs: ['127.0.0.0/8', '169.254.0.0/16'] });
    assert.equal(policy.refusal('127.0.0.1'), undefined);
    assert.equal(policy.refusal('::ffff:127.0.0.1'), undefined);
    assert.match(policy.refusal('10.0.0.1') ?? '', /private/);
    assert.match(policy.refusal('169.254.169.254') ?? '', /metadata/);
    assert.equal(policy.refusal('8.8.8.8'), undefined);
  });
});

describe('allowed hosts', () => {
  it('matches exact hosts on the default port, explicit ports and subdomain wildcards', () => {
    const hosts = createHostAllowlist(['api.example.com', 'files.example.com:8443', '*.cdn.example.com']);
    assert.ok(hosts.allows(new URL('https://api.example.com/x')));
    assert.ok(!hosts.allows(new URL('https://api.example.com:444/x')));
    assert.ok(hosts.allows(new URL('https://files.example.com:8443/')));
    assert.ok(hosts.allows(new URL('https://a.b.cdn.example.com/')));
    assert.ok(!hosts.allows(new URL('https://cdn.example.com/')));
    assert.ok(!hosts.allows(new URL('https://api.example.com.evil.test/')));
  });
});

describe('argument mapping', () => {
  const plan = (request: HttpToolSpec['request'], properties: string[]) => planRequest(request, properties);

  it('puts path, query, header and body arguments where the manifest says', () => {
    const request = mapRequest(
      plan(
        {
          method: 'POST',
          url: 'https://api.example.com/v1/{org}/items?version=2',
          arguments: {
            org: { in: 'path' },
            dryRun: { in: 'query', name: 'dry_run' },
            requestId: { in: 'header', name: 'X-Request-Id' },
          },
          headers: { 'X-Client': 'mcp' },
        },
        ['org', 'dryRun', 'requestId', 'name', 'tags'],
      ),
      { org: 'a/b c', dryRun: true, requestId: 'r-1', name: 'widget', tags: ['x', 'y'] },
    );
    assert.equal(request.url.href, 'https://api.example.com/v1/a%2Fb%20c/items?version=2&dry_run=true');
    assert.equal(request.headers['X-Request-Id'], 'r-1');
    assert.equal(request.headers['X-Client'], 'mcp');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(request.body ?? ''), { name: 'widget', tags: ['x', 'y'] });
  });

  it('sends unmapped arguments of a GET as query parameters, repeating arrays', () => {
    const request = mapRequest(
      plan({ method: 'GET', url: 'https://api.example.com/search/{kind}' }, ['kind', 'q', 'tag']),
      {
        kind: 'books',
        q: 'dune',
        tag: ['scifi', 'classic'],
      },
    );
    assert.equal(request.url.pathname, '/search/books');
    assert.deepEqual(request.url.searchParams.getAll('tag'), ['scifi', 'classic']);
    assert.equal(request.body, undefined);
  });

  it('sends a whole-body argument as the JSON body itself', () => {
    const request = mapRequest(
      plan({ method: 'PUT', url: 'https://api.example.com/list', arguments: { items: { in: 'whole-body' } } }, [
        'items',
      ]),
      { items: [1, 2] },
    );
    assert.equal(request.body, '[1,2]');
  });

  it('refuses manifests whose mapping cannot work', () => {
    assert.throws(() => plan({ method: 'GET', url: 'https://api.example.com/{id}' }, []), /no argument fills \{id\}/);
    assert.throws(
      () =>
        plan(
          { method: 'GET', url: 'https://x.example.com/', arguments: { a: { in: 'header', name: 'Authorization' } } },
          ['a'],
        ),
      /Authorization/,
    );
    assert.throws(() => plan({ method: 'GET', url: 'https://{host}/x' }, ['host']), /host/);
    assert.throws(() => plan({ method: 'GET', url: 'ftp://x.example.com/' }, []), /http/);
  });

  it('sends no body and no content type when no argument goes to the body, unless the manifest says bodyRequired', () => {
    const put = plan(
      { method: 'PUT', url: 'https://api.example.com/list', arguments: { payload: { in: 'whole-body' } } },
      ['payload'],
    );
    for (const request of [
      mapRequest(put, {}),
      mapRequest(put, { payload: undefined }),
      mapRequest(plan({ method: 'POST', url: 'https://api.example.com/jobs' }, ['note']), {}),
    ]) {
      assert.equal(request.body, undefined);
      assert.ok(!Object.keys(request.headers).some((name) => name.toLowerCase() === 'content-type'), 'a content type');
    }
    const required = plan({ method: 'POST', url: 'https://api.example.com/jobs', bodyRequired: true }, ['note']);
    assert.equal(mapRequest(required, {}).body, '{}');
    assert.equal(mapRequest(required, {}).headers['content-type'], 'application/json');
    assert.equal(mapRequest(required, { note: 'n' }).body, '{"note":"n"}');
  });

  it('names every problem of a request mapping at once, each with its field', () => {
    assert.throws(
      () =>
        plan(
          {
            method: 'GET',
            url: 'ftp://x.example.com/{sku}',
            arguments: { a: { in: 'header', name: 'Authorization' } },
            headers: { Host: 'elsewhere.example' },
          },
          ['a'],
        ),
      (error: Error) => {
        assert.match(error.message, /request\.url: only http and https/);
        assert.match(error.message, /request\.url: no argument fills \{sku\}/);
        assert.match(error.message, /request\.arguments\.a: may not set the Authorization header/);
        assert.match(error.message, /request\.headers\.Host: /);
        return true;
      },
    );
  });

  it('refuses a path argument that would climb out of its segment', () => {
    const p = plan({ method: 'GET', url: 'https://x.example.com/users/{id}/profile' }, ['id']);
    for (const id of ['..', '.']) assert.throws(() => mapRequest(p, { id }), { code: 'INVALID_ARGUMENTS' }, id);
    assert.equal(mapRequest(p, { id: '%2e%2e' }).url.pathname, '/users/%252e%252e/profile');
    assert.equal(mapRequest(p, { id: '../admin' }).url.pathname, '/users/..%2Fadmin/profile');
  });

  it('refuses a header argument with a line break', () => {
    const p = plan({ method: 'GET', url: 'https://x.example.com/', arguments: { a: { in: 'header', name: 'X-A' } } }, [
      'a',
    ]);
    assert.throws(() => mapRequest(p, { a: 'ok\r\nX-Evil: 1' }), { code: 'INVALID_ARGUMENTS' });
  });

  it('refuses a header argument with characters a header cannot carry, saying so', () => {
    const p = plan({ method: 'GET', url: 'https://x.example.com/', arguments: { a: { in: 'header', name: 'X-A' } } }, [
      'a',
    ]);
    assert.throws(
      () => mapRequest(p, { a: 'Zürich ✓' }),
      (error: Error & { code: string }) => {
        assert.equal(error.code, 'INVALID_ARGUMENTS');
        assert.match(error.message, /Latin-1/);
        return true;
      },
    );
    assert.equal(mapRequest(p, { a: 'Zürich' }).headers['X-A'], 'Zürich');
  });

  it("keeps a manifest's own JSON media type for the body", () => {
    const p = plan(
      {
        method: 'PATCH',
        url: 'https://x.example.com/items/1',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        arguments: { name: { in: 'body' } },
      },
      ['name'],
    );
    const request = mapRequest(p, { name: 'new' });
    const types = Object.entries(request.headers).filter(([name]) => name.toLowerCase() === 'content-type');
    assert.deepEqual(types, [['Content-Type', 'application/merge-patch+json']]);
    const plain = mapRequest(plan({ method: 'POST', url: 'https://x.example.com/items' }, ['name']), { name: 'n' });
    assert.equal(plain.headers['content-type'], 'application/json');
  });
});

describe('auth injection', () => {
  it('picks the credential from a plain secret or a JSON field', () => {
    assert.equal(credentialOf('tok-123'), 'tok-123');
    assert.equal(credentialOf('{"key":"k-1","note":"x"}', 'key'), 'k-1');
    assert.equal(credentialOf('{"apiKey":"k-2","baseUrl":"https://x"}'), 'k-2');
    assert.throws(() => credentialOf('{"a":"1","b":"2"}'), { code: 'CREDENTIAL_INVALID' });
  });

  it('builds basic auth from user:password or JSON and registers its encoded form with the redactor', () => {
    const redactor = new Redactor();
    const auth = injectAuth({ type: 'basic', secret: 's' }, '{"username":"bot","password":"pa55word"}', redactor);
    const encoded = Buffer.from('bot:pa55word').toString('base64');
    assert.equal(auth.headers.authorization, `Basic ${encoded}`);
    assert.equal(redactor.redact(`echo ${encoded}`), 'echo [REDACTED]');
    assert.throws(() => injectAuth({ type: 'basic', secret: 's' }, 'no-colon-here'), { code: 'CREDENTIAL_INVALID' });
  });

  it('drops a trailing line break from a secret and refuses one a header cannot carry, without the value', () => {
    const auth = injectAuth({ type: 'bearer', secret: 's' }, 'tok-123\n');
    assert.equal(auth.headers.authorization, 'Bearer tok-123');
    assert.throws(
      () => injectAuth({ type: 'header', secret: 's', name: 'X-Key' }, 'k€y-with-euro'),
      (error: Error & { code: string }) => {
        assert.equal(error.code, 'CREDENTIAL_INVALID');
        assert.doesNotMatch(error.message, /k€y/);
        return true;
      },
    );
  });

  it('registers the base64 form of a bearer token, so an upstream echoing it is scrubbed', () => {
    const redactor = new Redactor();
    injectAuth({ type: 'bearer', secret: 's' }, 'sk_live_ABCDEFGHIJ', redactor);
    const encoded = Buffer.from('sk_live_ABCDEFGHIJ').toString('base64');
    assert.equal(redactor.redact(`got ${encoded}`), 'got [REDACTED]');
  });
});

describe('response mapping', () => {
  it('turns a JSON object into structuredContent and JSON text', () => {
    const result = mapResponse(response(200, '{"temp":21}', { 'content-type': 'application/json; charset=utf-8' }));
    assert.deepEqual(result.structuredContent, { temp: 21 });
    assert.deepEqual(result.content, [{ type: 'text', text: '{"temp":21}' }]);
  });

  it('wraps a JSON array as { result }', () => {
    const result = mapResponse(response(200, '[1,2]', { 'content-type': 'application/problem+json' }));
    assert.deepEqual(result.structuredContent, { result: [1, 2] });
  });

  it('returns anything else as text', () => {
    const result = mapResponse(response(200, '<b>hi</b>', { 'content-type': 'text/html' }));
    assert.equal(result.structuredContent, undefined);
    assert.deepEqual(result.content, [{ type: 'text', text: '<b>hi</b>' }]);
  });

  it('notes a truncated body, with or without its full length', () => {
    const known = mapResponse(
      response(200, 'abc', { 'content-type': 'application/json' }, { truncated: true, totalBytes: 9 }),
    );
    assert.equal(known.structuredContent, undefined);
    assert.deepEqual(known.content, [
      { type: 'text', text: 'abc\n\n[Response truncated: showed the first 3 bytes of 9]' },
    ]);
    const unknown = mapResponse(response(200, 'abc', {}, { truncated: true }));
    assert.match((unknown.content[0] as { text: string }).text, /of more than 3\]$/);
  });

  it('maps upstream statuses to codes that say whether retrying helps', () => {
    const cases: [number, string, boolean][] = [
      [400, 'UPSTREAM_BAD_REQUEST', false],
      [422, 'UPSTREAM_BAD_REQUEST', false],
      [401, 'UPSTREAM_UNAUTHORIZED', false],
      [403, 'UPSTREAM_UNAUTHORIZED', false],
      [404, 'UPSTREAM_NOT_FOUND', false],
      [429, 'UPSTREAM_RATE_LIMITED', true],
      [500, 'UPSTREAM_UNAVAILABLE', false],
      [503, 'UPSTREAM_UNAVAILABLE', true],
    ];
    for (const [status, code, retryable] of cases) {
      assert.throws(
        () => mapResponse(response(status, '{"message":"nope"}', { 'content-type': 'application/json' })),
        (error: Error & { code: string; retryable: boolean }) => {
          assert.equal(error.code, code, String(status));
          assert.equal(error.retryable, retryable, String(status));
          assert.match(error.message, new RegExp(`HTTP ${status}.*nope`));
          return true;
        },
      );
    }
    assert.throws(() => mapResponse(response(429, '', { 'retry-after': '7' })), { retryAfterSeconds: 7 });
  });

  it('never leaves part of a secret where an excerpt or a size cap cuts the body', () => {
    const redactor = new Redactor();
    const secret = 'sk_live_ABCDEFGHIJKLMNOP';
    redactor.add(secret);
    // The upstream's message ends with the key, right where the 500-character excerpt is cut.
    const message = `${'x'.repeat(480)} bad key ${secret}`;
    assert.throws(
      () => mapResponse(response(401, message), undefined, redactor),
      (error: Error) => {
        assert.doesNotMatch(error.message, /sk_live_AB/);
        return true;
      },
    );
    // The body is cut by maxBytes in the middle of the key.
    const cut = mapResponse(
      response(200, `token: ${secret.slice(0, 12)}`, {}, { truncated: true }),
      undefined,
      redactor,
    );
    const text = (cut.content[0] as { text: string }).text;
    assert.doesNotMatch(text, /sk_live_ABCD/);
    assert.match(text, /^\[REDACTED\]\n\n\[Response truncated/);
    // The end of a cut body is withheld whether or not it starts a secret: an answer never tells which text does.
    const cutText = (tail: string) =>
      (
        mapResponse(response(200, `${'y'.repeat(600)}${tail}`, {}, { truncated: true }), undefined, redactor)
          .content[0] as { text: string }
      ).text;
    const guessedRight = cutText(secret.slice(0, 12));
    const guessedWrong = cutText('sk_live_ZZZZ');
    assert.equal(guessedRight, guessedWrong);
    assert.match(guessedRight, /^y{356}\[REDACTED\]\n\n\[Response truncated/);
  });

  it('answers with an error, not an unstructured result, when a tool with an output schema gets no JSON', () => {
    const check = () => undefined;
    const json = { 'content-type': 'application/json' };
    assert.throws(() => mapResponse(response(200, '{"a":', json, { truncated: true }), check), {
      code: 'UPSTREAM_RESPONSE_TOO_LARGE',
    });
    assert.throws(() => mapResponse(response(204, ''), check), { code: 'UPSTREAM_INVALID_RESPONSE' });
    assert.throws(() => mapResponse(response(200, '<html/>', { 'content-type': 'text/html' }), check), {
      code: 'UPSTREAM_INVALID_RESPONSE',
    });
    assert.deepEqual(mapResponse(response(200, '{"a":1}', json), check).structuredContent, { a: 1 });
  });

  it('keeps the excerpt of an upstream message short', () => {
    assert.throws(
      () => mapResponse(response(400, 'x'.repeat(5_000))),
      (error: Error) => error.message.length < 800,
    );
  });
});

describe('compiling manifests', () => {
  const spec = (overrides: Partial<HttpToolSpec> = {}): HttpToolSpec => ({
    inputSchema: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' } },
      required: ['city'],
    },
    request: { method: 'GET', url: 'https://api.example.com/forecast/{city}' },
    ...overrides,
  });

  it('validates arguments with JSON Schema, naming the field', () => {
    const tool = compileHttpTool('forecast', spec(), 'Forecast.', { outbound: noNetwork });
    assert.deepEqual(tool.validate({ days: 'x' }), {
      success: false,
      issues: [
        { field: 'city', message: 'is required' },
        { field: 'days', message: 'must be integer' },
      ],
    });
    assert.deepEqual(tool.validate({ city: 'Oslo' }), { success: true, data: { city: 'Oslo' } });
  });

  it('derives annotations from the method unless the manifest sets them', () => {
    assert.deepEqual(compileHttpTool('a', spec(), 'A.', { outbound: noNetwork }).annotations, {
      readOnlyHint: true,
      idempotentHint: true,
      openWorldHint: true,
    });
    const remove = compileHttpTool(
      'b',
      spec({
        request: { method: 'DELETE', url: 'https://api.example.com/x/{city}' },
        annotations: { openWorldHint: false },
      }),
      'B.',
      { outbound: noNetwork },
    );
    assert.deepEqual(remove.annotations, { destructiveHint: true, idempotentHint: true, openWorldHint: false });
  });

  it('skips a manifest that does not compile with one warning, and reuses compiled tools across refreshes', () => {
    const { logger, entries } = captureLogs();
    const compiler = createHttpToolCompiler({ outbound: noNetwork, logger });
    const manifest = (name: string, http: HttpToolSpec, version = 1) =>
      ({ PK: 'TOOL', SK: name, source: 'http', http, description: `${name}.`, enabled: true, version }) as ToolManifest;
    const manifests = [
      manifest('good', spec()),
      manifest('bad_schema', spec({ inputSchema: { type: 'object', properties: { a: { type: 'nope' } } } })),
      manifest('bad_path', spec({ request: { method: 'GET', url: 'https://api.example.com/{missing}' } })),
    ];
    const first = compiler.compile(manifests);
    const second = compiler.compile(manifests);
    assert.deepEqual([...first.keys()], ['good']);
    assert.equal(first.get('good'), second.get('good'), 'the same compiled definition');
    assert.equal(entries().filter((entry) => entry.level === 'warn').length, 2);
    const bumped = compiler.compile([manifest('good', spec(), 2)]);
    assert.notEqual(bumped.get('good'), first.get('good'));
  });

  it('serves a code tool over an HTTP manifest of the same name', async () => {
    const { z } = await import('zod');
    const { defineTool } = await import('../../shared/tools/define-tool.js');
    const code = defineTool({ name: 'forecast', description: 'Code.', input: z.object({}), run: async () => 'ok' });
    const http = compileHttpTool('forecast', spec(), 'HTTP.', { outbound: noNetwork });
    const manifests = new Map<string, ToolManifest>([
      [
        'forecast',
        { PK: 'TOOL', SK: 'forecast', source: 'http', http: spec(), description: 'HTTP.', enabled: true, version: 1 },
      ],
    ]);
    const snapshot = buildSnapshot([code], manifests, 0, new Map([['forecast', http]]));
    const tool = snapshot.callable('forecast', { scopes: ['*'] });
    assert.equal(tool?.definition.kind, 'code');
    assert.equal(tool?.description, 'Code.');
  });
});
