import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { API_KEY_PREFIX, createApiKey, createApiKeyVerifier, hashApiKey } from '../../shared/auth/api-keys.js';
import { createAuthenticator } from '../../shared/auth/authenticate.js';
import { AuthError } from '../../shared/errors/errors.js';
import { API_KEY_SORT_KEY, apiKeyPartition } from '../../shared/store/api-keys.js';
import {
  closedPortUrl,
  dynamoDbClient,
  type LocalAws,
  manualClock,
  silentLogger,
  startLocalAws,
} from '../helpers/aws.js';

const invalidToken = (error: unknown) => {
  assert.ok(error instanceof AuthError);
  assert.equal(error.reason, 'invalid_token');
  assert.equal(error.status, 401);
  assert.equal(error.code, 'UNAUTHENTICATED');
  return true;
};

describe('API keys (dynalite)', () => {
  let aws: LocalAws;
  let tableName: string;

  before(async () => {
    aws = await startLocalAws();
    tableName = await aws.createTable();
  });
  after(() => aws.stop());

  const store = () => ({ client: aws.dynamodb, tableName });
  const verifier = (ttlMs = 60_000, now?: () => number) =>
    createApiKeyVerifier({ client: aws.dynamodb, tableName, ttlMs, logger: silentLogger, ...(now ? { now } : {}) });

  async function revoke(key: string) {
    await aws.dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { PK: { S: apiKeyPartition(hashApiKey(key)) }, SK: { S: API_KEY_SORT_KEY } },
        UpdateExpression: 'SET revokedAt = :now',
        ExpressionAttributeValues: { ':now': { S: new Date().toISOString() } },
      }),
    );
  }

  it('stores only the sha256 of a new key: the key itself is in no attribute of the table', async () => {
    const created = await createApiKey(store(), { agentId: 'agent-storage', scopes: ['weather'] });
    assert.match(created.key, new RegExp(`^${API_KEY_PREFIX}[A-Za-z0-9_-]{43}$`));
    const { Items = [] } = await aws.dynamodb.send(new ScanCommand({ TableName: tableName }));
    const everything = JSON.stringify(Items);
    assert.ok(!everything.includes(created.key), 'the raw key is stored somewhere');
    assert.ok(!everything.includes(created.key.slice(API_KEY_PREFIX.length)), 'the key body is stored somewhere');
    assert.ok(everything.includes(hashApiKey(created.key)));
  });

  it('verifies a key to the principal it was issued for', async () => {
    const created = await createApiKey(store(), { agentId: 'agent-1', tenant: 'team-a', scopes: ['weather', 'time'] });
    const principal = await verifier().verify(created.key);
    assert.deepEqual(principal, {
      agentId: 'agent-1',
      tenant: 'team-a',
      scopes: ['weather', 'time'],
      method: 'api-key',
      credentialId: created.keyId,
    });
    assert.match(created.keyId, /^key_[0-9a-f]{16}$/, 'the key id is derived from the hash, not the key');
  });

  it('refuses a well-formed key that was never issued', async () => {
    const unknown = `${API_KEY_PREFIX}${'A'.repeat(43)}`;
    await assert.rejects(verifier().verify(unknown), invalidToken);
  });

  it('refuses a revoked key', async () => {
    const created = await createApiKey(store(), { agentId: 'agent-revoked', scopes: [] });
    await revoke(created.key);
    await assert.rejects(verifier().verify(created.key), invalidToken);
  });

  it('refuses a key once it has expired', async () => {
    const clock = manualClock(Date.now());
    const created = await createApiKey(store(), {
      agentId: 'agent-expiring',
      scopes: [],
      expiresAt: new Date(clock.now() + 60_000),
    });
    const keys = verifier(600_000, clock.now);
    assert.equal((await keys.verify(created.key)).agentId, 'agent-expiring');
    clock.advance(60_000);
    await assert.rejects(keys.verify(created.key), invalidToken);
  });

  it('refuses a key whose expiry an operator wrote in a form that does not parse', async () => {
    const created = await createApiKey(store(), { agentId: 'agent-typo', scopes: [] });
    await aws.dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { PK: { S: apiKeyPartition(hashApiKey(created.key)) }, SK: { S: API_KEY_SORT_KEY } },
        UpdateExpression: 'SET expiresAt = :when',
        ExpressionAttributeValues: { ':when': { S: '31/12/2020' } },
      }),
    );
    await assert.rejects(verifier().verify(created.key), invalidToken);
  });

  it('keeps honouring a revoked key only until the cache TTL has passed', async () => {
    const clock = manualClock(Date.now());
    const created = await createApiKey(store(), { agentId: 'agent-cached', scopes: [] });
    const keys = verifier(50, clock.now);
    await keys.verify(created.key);
    await revoke(created.key);
    clock.advance(49);
    assert.equal((await keys.verify(created.key)).agentId, 'agent-cached', 'still cached');
    clock.advance(1);
    await assert.rejects(keys.verify(created.key), invalidToken);
  });

  it('refuses malformed keys without reading DynamoDB', async () => {
    const unreachable = dynamoDbClient(await closedPortUrl(), { failFast: true });
    const keys = createApiKeyVerifier({ client: unreachable, tableName, ttlMs: 1_000, logger: silentLogger });
    try {
      const started = performance.now();
      for (const token of ['', 'mcpk_short', `xyz_${'A'.repeat(43)}`, `${API_KEY_PREFIX}${'!'.repeat(43)}`]) {
        await assert.rejects(keys.verify(token), invalidToken);
      }
      assert.ok(performance.now() - started < 100, 'answered without a network round trip');
      // The same verifier does reach for DynamoDB for a well-formed key, and fails differently.
      await assert.rejects(keys.verify(`${API_KEY_PREFIX}${'A'.repeat(43)}`), (error: unknown) => {
        assert.ok(!(error instanceof AuthError));
        return true;
      });
    } finally {
      unreachable.destroy();
    }
  });

  describe('authenticator', () => {
    const authenticator = () => createAuthenticator({ apiKeys: verifier() });

    it('answers invalid_request when there is no Authorization header', async () => {
      await assert.rejects(authenticator().authenticate({}), { name: 'AuthError', reason: 'invalid_request' });
    });

    it('answers invalid_request for a scheme other than Bearer', async () => {
      await assert.rejects(authenticator().authenticate({ authorization: 'Basic dXNlcjpwYXNz' }), {
        reason: 'invalid_request',
      });
      await assert.rejects(authenticator().authenticate({ authorization: 'Bearer' }), { reason: 'invalid_request' });
    });

    it('refuses a tenant admin key as the MCP endpoint refuses an unknown key: 401 invalid_token', async () => {
      const admin = await createApiKey(store(), {
        agentId: 'acme-admin',
        tenant: 'acme',
        role: 'tenant-admin',
        scopes: [],
      });
      const unknown = `mcpk_${'B'.repeat(43)}`;
      const refusal = (key: string) =>
        authenticator()
          .authenticate({ authorization: `Bearer ${key}` })
          .then(
            () => assert.fail('accepted'),
            (error: AuthError) => ({ status: error.status, reason: error.reason, message: error.message }),
          );
      assert.deepEqual(await refusal(admin.key), await refusal(unknown));
      assert.equal((await refusal(admin.key)).status, 401);
    });

    it('accepts a Bearer key, whatever the case of the scheme', async () => {
      const created = await createApiKey(store(), { agentId: 'agent-bearer', scopes: ['x'] });
      const principal = await authenticator().authenticate({ authorization: `bearer ${created.key}` });
      assert.equal(principal.agentId, 'agent-bearer');
    });

    it('answers invalid_token for a Bearer value that is not a key', async () => {
      await assert.rejects(authenticator().authenticate({ authorization: 'Bearer not-a-key' }), {
        reason: 'invalid_token',
      });
    });
  });
});
