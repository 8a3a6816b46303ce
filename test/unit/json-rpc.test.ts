import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyMessage, excerpt, JsonRpcError, nestsDeeperThan } from '../../shared/mcp/json-rpc.js';

describe('classifyMessage', () => {
  it('tells requests, notifications and responses apart', () => {
    assert.equal(classifyMessage({ jsonrpc: '2.0', id: 1, method: 'ping' }).kind, 'request');
    assert.equal(classifyMessage({ jsonrpc: '2.0', method: 'notifications/initialized' }).kind, 'notification');
    assert.equal(classifyMessage({ jsonrpc: '2.0', id: 1, result: {} }).kind, 'response');
  });

  it('accepts extra top-level members, as JSON-RPC peers must', () => {
    assert.equal(classifyMessage({ jsonrpc: '2.0', id: 1, method: 'ping', extra: 1 }).kind, 'request');
  });

  it('refuses a wrong version, array params and a fractional id, keeping the id when it is usable', () => {
    assert.deepEqual(classifyMessage({ jsonrpc: '1.0', id: 7, method: 'ping' }), {
      kind: 'invalid',
      id: 7,
      reason: '"jsonrpc" must be "2.0"',
    });
    assert.equal(classifyMessage({ jsonrpc: '2.0', id: 1, method: 'ping', params: [] }).kind, 'invalid');
    const fractional = classifyMessage({ jsonrpc: '2.0', id: 1.5, method: 'ping' });
    assert.equal(fractional.kind, 'invalid');
    assert.equal(fractional.kind === 'invalid' && fractional.id, null);
    assert.equal(classifyMessage('ping').kind, 'invalid');
  });

  it('refuses a message that is both a request and a response', () => {
    const both = classifyMessage({ jsonrpc: '2.0', id: 3, method: 'ping', result: {} });
    assert.deepEqual(both, { kind: 'invalid', id: 3, reason: 'a message is a request or a response, not both' });
  });

  it('refuses ids no JSON number carries exactly, and ids or methods too long to echo', () => {
    for (const id of [2 ** 53, -(2 ** 53), 1e300, 'x'.repeat(201)]) {
      const message = classifyMessage({ jsonrpc: '2.0', id, method: 'ping' });
      assert.equal(message.kind, 'invalid', `id ${String(id).slice(0, 20)}`);
    }
    assert.equal(classifyMessage({ jsonrpc: '2.0', id: 2 ** 53 - 1, method: 'ping' }).kind, 'request');
    const longMethod = classifyMessage({ jsonrpc: '2.0', id: 1, method: 'm'.repeat(201) });
    assert.equal(longMethod.kind, 'invalid');
  });
});

describe('JsonRpcError', () => {
  it('takes its code from its name, and its HTTP status from the name unless told', () => {
    const mismatch = new JsonRpcError('HeaderMismatch', 'Header mismatch: x');
    assert.equal(mismatch.code, -32020);
    assert.equal(mismatch.status, 400);
    assert.equal(new JsonRpcError('UnsupportedProtocolVersion', 'x').code, -32022);
    assert.equal(new JsonRpcError('MissingRequiredClientCapability', 'x').code, -32021);
    assert.equal(new JsonRpcError('InvalidParams', 'x').status, 200);
    assert.equal(new JsonRpcError('InvalidParams', 'x', { status: 400 }).status, 400);
  });
});

describe('excerpt', () => {
  it('quotes short values whole and cuts long ones', () => {
    assert.equal(excerpt('abc'), '"abc"');
    assert.equal(excerpt(undefined), 'null');
    const cut = excerpt('x'.repeat(500));
    assert.equal(cut.length, 81);
    assert.ok(cut.endsWith('…'));
  });
});

describe('nesting', () => {
  const nested = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;

  it('is measured without recursion, whatever the depth', () => {
    assert.equal(nestsDeeperThan(nested(200_000), 64), true);
    assert.equal(nestsDeeperThan(nested(64), 64), false);
    assert.equal(nestsDeeperThan({ a: [{ b: 1 }] }, 3), false);
    assert.equal(nestsDeeperThan({ a: [{ b: {} }] }, 3), true);
  });

  it('refuses params nested too deep as invalid params, keeping the id', () => {
    const message = classifyMessage({
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'x', arguments: { extra: nested(10_000) } },
    });
    assert.equal(message.kind, 'invalid');
    assert.equal(message.kind === 'invalid' && message.error, 'InvalidParams');
    assert.equal(message.kind === 'invalid' && message.id, 9);
  });

  it('refuses other members nested too deep as an invalid request', () => {
    const message = classifyMessage({ jsonrpc: '2.0', id: 9, method: 'ping', extra: nested(100) });
    assert.equal(message.kind === 'invalid' && message.error, undefined);
    assert.equal(message.kind, 'invalid');
  });
});
