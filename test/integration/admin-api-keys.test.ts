import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AdminError } from '../../shared/admin/admin-error.js';
import { issueApiKey, listApiKeys, revokeApiKey } from '../../shared/admin/api-keys.js';
import { createApiKeyVerifier, hashApiKey } from '../../shared/auth/api-keys.js';
import { AuthError } from '../../shared/errors/errors.js';
import { type LocalAws, silentLogger, sleep, startLocalAws } from '../helpers/aws.js';

const adminError = (code: string) => (error: unknown) => {
  assert.equal((error as AdminError).code, code, (error as Error).message);
  return true;
};

describe('admin: API keys (dynalite)', () => {
  let aws: LocalAws;

  before(async () => {
    aws = await startLocalAws();
  });
  after(() => aws.stop());

  const freshStore = async () => ({ client: aws.dynamodb, tableName: await aws.createTable() });
  const verifierFor = (store: { tableName: string }) =>
    createApiKeyVerifier({ client: aws.dynamodb, tableName: store.tableName, ttlMs: 0, logger: silentLogger });

  it('issues a key that verifies to the agent, tenant and scopes it was issued for', async () => {
    const store = await freshStore();
    const { key, summary } = await issueApiKey(store, {
      agentId: 'weather-bot',
      tenant: 'forecasts',
      scopes: ['weather:read', 'weather:read', 'geo'],
      rateLimit: { limit: 100, windowSeconds: 60 },
      description: '  nightly job  ',
    });
    const principal = await verifierFor(store).verify(key);
    assert.equal(principal.agentId, 'weather-bot');
    assert.equal(principal.tenant, 'forecasts');
    assert.deepEqual(principal.scopes, ['weather:read', 'geo']);
    assert.deepEqual(principal.rateLimit, { limit: 100, windowSeconds: 60 });
    assert.equal(principal.credentialId, summary.keyId);
    assert.equal(summary.status, 'active');
    assert.equal(summary.description, 'nightly job');
  });

  it('refuses a bad agent id, a bad scope, no scopes and an expiry in the past, and stores nothing', async () => {
    const store = await freshStore();
    const now = new Date();
    await assert.rejects(issueApiKey(store, { agentId: 'has space', scopes: ['a'] }), adminError('INVALID_INPUT'));
    await assert.rejects(issueApiKey(store, { agentId: 'a#b', scopes: ['a'] }), adminError('INVALID_INPUT'));
    await assert.rejects(issueApiKey(store, { agentId: 'ok', scopes: ['two words'] }), adminError('INVALID_INPUT'));
    await assert.rejects(issueApiKey(store, { agentId: 'ok', scopes: [] }), adminError('INVALID_INPUT'));
    await assert.rejects(
      issueApiKey(store, { agentId: 'ok', scopes: ['a'], expiresAt: new Date(now.getTime() - 1) }, now),
      adminError('INVALID_INPUT'),
    );
    const { Count } = await aws.dynamodb.send(new ScanCommand({ TableName: store.tableName, Select: 'COUNT' }));
    assert.equal(Count, 0);
  });

  it('lists every key oldest first with its status, and never the key or its hash', async () => {
    const store = await freshStore();
    const now = new Date('2030-01-01T00:00:00Z');
    const active = await issueApiKey(
      store,
      { agentId: 'a', scopes: ['x'], expiresAt: new Date('2030-02-01T00:00:00Z') },
      now,
    );
    await sleep(3); // creation times are milliseconds apart, so the order is theirs
    const expiring = await issueApiKey(
      store,
      { agentId: 'b', scopes: ['y'], expiresAt: new Date('2030-01-01T00:00:01Z') },
      now,
    );
    await sleep(3);
    const revoked = await issueApiKey(store, { agentId: 'c', scopes: ['*'] }, now);
    await revokeApiKey(store, revoked.summary.keyId, { now });

    const later = new Date('2030-01-01T00:00:02Z');
    const keys = await listApiKeys(store, { now: later });
    assert.deepEqual(
      keys.map((key) => [key.agentId, key.status]),
      [
        ['a', 'active'],
        ['b', 'expired'],
        ['c', 'revoked'],
      ],
    );
    const text = JSON.stringify(keys);
    for (const { key } of [active, expiring, revoked]) {
      assert.ok(!text.includes(key), 'a key is in the listing');
      assert.ok(!text.includes(hashApiKey(key)), "a key's hash is in the listing");
    }
    assert.ok(!text.includes('APIKEY#'));
    assert.deepEqual(Object.keys(keys[0]!).sort(), [
      'agentId',
      'createdAt',
      'description',
      'expiresAt',
      'keyId',
      'rateLimit',
      'revokedAt',
      'role',
      'scopes',
      'status',
      'tenant',
    ]);
  });

  it('lists only API keys, skipping tool manifests and reporting malformed key items', async () => {
    const store = await freshStore();
    await issueApiKey(store, { agentId: 'only-key', scopes: ['x'] });
    await aws.dynamodb.send(
      new PutItemCommand({
        TableName: store.tableName,
        Item: marshall({ PK: 'TOOL', SK: 'calculate', source: 'code', version: 1 }),
      }),
    );
    await aws.dynamodb.send(
      new PutItemCommand({
        TableName: store.tableName,
        Item: marshall({ PK: 'APIKEY#broken', SK: 'APIKEY', keyId: 'key_broken', agentId: 'x', scopes: 'not-a-list' }),
      }),
    );
    const malformed: string[] = [];
    const keys = await listApiKeys(store, { onMalformed: (id) => malformed.push(id) });
    assert.deepEqual(
      keys.map((key) => key.agentId),
      ['only-key'],
    );
    assert.deepEqual(malformed, ['key_broken']);
  });

  it('revokes a key by its id: the verifier refuses it from then on', async () => {
    const store = await freshStore();
    const { key, summary } = await issueApiKey(store, { agentId: 'to-revoke', scopes: ['x'] });
    await verifierFor(store).verify(key);
    const now = new Date();
    const revoked = await revokeApiKey(store, summary.keyId, { now });
    assert.equal(revoked.status, 'revoked');
    assert.equal(revoked.revokedAt, now.toISOString());
    await assert.rejects(verifierFor(store).verify(key), (error) => error instanceof AuthError);
  });

  it('revokes a key given the key itself instead of its id', async () => {
    const store = await freshStore();
    const { key, summary } = await issueApiKey(store, { agentId: 'by-key', scopes: ['x'] });
    const revoked = await revokeApiKey(store, key);
    assert.equal(revoked.keyId, summary.keyId);
    assert.equal(revoked.status, 'revoked');
  });

  it('refuses to revoke a key twice, an unknown key id and something that is not a key id', async () => {
    const store = await freshStore();
    const { summary } = await issueApiKey(store, { agentId: 'twice', scopes: ['x'] });
    const first = await revokeApiKey(store, summary.keyId);
    await assert.rejects(revokeApiKey(store, summary.keyId), (error: AdminError) => {
      assert.equal(error.code, 'KEY_ALREADY_REVOKED');
      assert.ok(error.message.includes(first.revokedAt!));
      return true;
    });
    await assert.rejects(revokeApiKey(store, 'key_0000000000000000'), adminError('KEY_NOT_FOUND'));
    await assert.rejects(revokeApiKey(store, 'nonsense'), adminError('INVALID_INPUT'));
    const keys = await listApiKeys(store);
    assert.equal(keys.length, 1);
    assert.equal(keys[0]?.revokedAt, first.revokedAt);
  });
});
