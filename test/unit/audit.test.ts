import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestArguments } from '../../shared/audit/audit.js';

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
