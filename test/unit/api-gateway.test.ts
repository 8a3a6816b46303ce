import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { fromApiGatewayEvent, toApiGatewayResult } from '../../shared/mcp/api-gateway.js';

function event(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/mcp',
    resource: '/mcp',
    headers: {},
    multiValueHeaders: {},
    body: null,
    isBase64Encoded: false,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: 'req-abc' } as APIGatewayProxyEvent['requestContext'],
    ...overrides,
  };
}

const context = { getRemainingTimeInMillis: () => 12_345 };

describe('fromApiGatewayEvent', () => {
  it('lower-cases header names', () => {
    const request = fromApiGatewayEvent(
      event({
        headers: {
          'Content-Type': 'application/json',
          Authorization: 'Bearer x',
          'MCP-Protocol-Version': '2025-11-25',
        },
      }),
      context,
    );
    assert.deepEqual(request.headers, {
      'content-type': 'application/json',
      authorization: 'Bearer x',
      'mcp-protocol-version': '2025-11-25',
    });
  });

  it('joins a header sent several times when only multiValueHeaders carries it', () => {
    const request = fromApiGatewayEvent(
      event({ headers: {}, multiValueHeaders: { Accept: ['application/json', 'text/event-stream'] } }),
      context,
    );
    assert.equal(request.headers['accept'], 'application/json, text/event-stream');
  });

  it('keeps every value of a repeated header when API Gateway fills both headers (last value) and multiValueHeaders', () => {
    const request = fromApiGatewayEvent(
      event({
        headers: { Accept: 'text/event-stream' },
        multiValueHeaders: { Accept: ['application/json', 'text/event-stream'] },
      }),
      context,
    );
    assert.equal(request.headers['accept'], 'application/json, text/event-stream');
  });

  it('decodes a base64 body', () => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"city":"Zürich"}}';
    const request = fromApiGatewayEvent(
      event({ body: Buffer.from(body, 'utf8').toString('base64'), isBase64Encoded: true }),
      context,
    );
    assert.equal(request.body, body);
  });

  it('passes a plain body through and maps a missing one to undefined', () => {
    assert.equal(fromApiGatewayEvent(event({ body: '{"a":1}' }), context).body, '{"a":1}');
    assert.equal(fromApiGatewayEvent(event({ body: null }), context).body, undefined);
  });

  it('carries the method, path, request id and the time the function has left', () => {
    let remaining = 9_000;
    const request = fromApiGatewayEvent(event({ httpMethod: 'get', path: '/mcp' }), {
      getRemainingTimeInMillis: () => remaining,
    });
    assert.equal(request.method, 'GET');
    assert.equal(request.path, '/mcp');
    assert.equal(request.requestId, 'req-abc');
    assert.equal(request.remainingMs(), 9_000);
    remaining = 4_000;
    assert.equal(request.remainingMs(), 4_000, 'asked at the moment it is needed, not copied once');
  });

  it('turns a response into a proxy result that is not base64-encoded', () => {
    const result = toApiGatewayResult({ statusCode: 405, headers: { allow: 'POST' }, body: '{}' });
    assert.deepEqual(result, { statusCode: 405, headers: { allow: 'POST' }, body: '{}', isBase64Encoded: false });
  });
});
