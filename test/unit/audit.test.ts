import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestArguments } from '../../shared/audit/audit.js';
import { classifyMessage } from '../../shared/mcp/json-rpc.js';

describe('digestArguments', () => {
  it('gives equal arguments the same digest whatever the key order', () => {
    assert.equal(
      digestArguments({ city: 'Oslo', days: 3, nested: { b: 1, a: [1, 2] } }),
      digestArguments({ nested: { a: [1, 2], b: 1 }, days: 3, city: 'Oslo' }),
    );
  });

  it('tells different arguments apart and never contains their values', () => {
    const digest = digestArguments({ email: 'alice@example.com' });
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(digest, digestArguments({ email: 'bob@example.com' }));
    assert.doesNotMatch(digest, /alice/);
  });
});

describe('classifyMessage', () => {
  it('tells requests, notifications and responses apart', () => {
    assert.equal(classifyMessage({ jsonrpc: '2.0', id: 1, method: 'ping' }).kind, 'request');
    assert.equal(classifyMessage({ jsonrpc: '2.0', method: 'notifications/initialized' }).kind, 'notification');
    assert.equal(classifyMessage({ jsonrpc: '2.0', id: 1, result: {} }).kind, 'response');
  });

  it('refuses a wrong version, array params and a fractional id, keeping the id when it is usable', () => {
    assert.deepEqual(classifyMessage({ jsonrpc: '1.0', id: 7, method: 'ping' }), {
      kind: 'invalid',
      id: 7,
      reason: '"jsonrpc" must be "2.0"',
    });
    assert.equal(classifyMessage({ jsonrpc: '2.0', id: 1, method: 'ping', params: [] }).kind, 'invalid');
    assert.deepEqual(classifyMessage({ jsonrpc: '2.0', id: 1.5, method: 'ping' }), {
      kind: 'invalid',
      id: null,
      reason: '"id" must be a string or an integer',
    });
    assert.equal(classifyMessage('ping').kind, 'invalid');
  });
});
