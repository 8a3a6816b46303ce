import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accepts } from '../../shared/mcp/guards/accept.js';
import { isJsonMediaType } from '../../shared/mcp/guards/content-type.js';
import { originGuard } from '../../shared/mcp/guards/origin.js';
import type { HttpRequest } from '../../shared/mcp/http-types.js';

const requestWith = (headers: Record<string, string>): HttpRequest => ({
  method: 'POST',
  path: '/mcp',
  headers,
  body: '{}',
  requestId: 'r',
  remainingMs: () => 1_000,
});

describe('the Accept guard', () => {
  it('accepts JSON listed directly, by its type or by */*', () => {
    assert.ok(accepts('application/json, text/event-stream', 'application/json'));
    assert.ok(accepts('text/event-stream, application/*', 'application/json'));
    assert.ok(accepts('*/*', 'application/json'));
    assert.ok(accepts('Application/JSON;charset=utf-8', 'application/json'));
  });

  it('refuses JSON when it is absent or its most specific range has q=0 (RFC 9110)', () => {
    assert.ok(!accepts(undefined, 'application/json'));
    assert.ok(!accepts('text/event-stream', 'application/json'));
    assert.ok(!accepts('application/json;q=0, text/event-stream', 'application/json'));
    assert.ok(!accepts('*/*, application/json; q=0', 'application/json'));
    assert.ok(accepts('application/*;q=0, application/json;q=0.5', 'application/json'));
  });
});

describe('the Content-Type guard', () => {
  it('takes application/json with parameters, in any case, and nothing else', () => {
    assert.ok(isJsonMediaType('application/json'));
    assert.ok(isJsonMediaType('Application/Json; charset=utf-8'));
    assert.ok(!isJsonMediaType('text/plain'));
    assert.ok(!isJsonMediaType('application/json-seq'));
    assert.ok(!isJsonMediaType(undefined));
  });
});

describe('the Origin guard', () => {
  const guard = originGuard({ allowedOrigins: ['https://app.example.com'], ownOrigin: () => 'http://127.0.0.1:3000' });

  it('lets through requests without Origin, from the endpoint itself and from allowed origins', () => {
    assert.equal(guard(requestWith({})), undefined);
    assert.equal(guard(requestWith({ origin: 'http://127.0.0.1:3000' })), undefined);
    assert.equal(guard(requestWith({ origin: 'https://app.example.com' })), undefined);
  });

  it('refuses any other origin with 403', () => {
    const refused = guard(requestWith({ origin: 'http://evil.example.com' }));
    assert.equal(refused?.statusCode, 403);
    assert.equal(JSON.parse(refused?.body ?? '{}').error.code, -32600);
  });
});
