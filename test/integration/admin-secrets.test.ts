import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeleteSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { AdminError } from '../../shared/admin/admin-error.js';
import { MAX_SECRET_BYTES, putSecret, secretId } from '../../shared/admin/secrets.js';
import { type LocalAws, startLocalAws } from '../helpers/aws.js';

const PREFIX = 'mcp-cluster/test/';

const adminError = (code: string, secret?: string) => (error: unknown) => {
  assert.equal((error as AdminError).code, code, (error as Error).message);
  if (secret) assert.ok(!(error as Error).message.includes(secret), 'the value is in the error');
  return true;
};

describe('admin: tool secrets (local Secrets Manager)', () => {
  let aws: LocalAws;

  before(async () => {
    aws = await startLocalAws();
  });
  after(() => aws.stop());

  const target = () => ({ client: aws.secretsManager, prefix: PREFIX });
  const current = async (id: string) =>
    (await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: id }))).SecretString;

  it('creates a secret under the prefix when it does not exist', async () => {
    const stored = await putSecret(target(), 'weather-api', '{"apiKey":"first"}');
    assert.equal(stored.name, `${PREFIX}weather-api`);
    assert.equal(stored.created, true);
    assert.equal(await current(`${PREFIX}weather-api`), '{"apiKey":"first"}');
  });

  it('stores a new current version of a secret that exists', async () => {
    await putSecret(target(), 'rotated', 'old-value');
    const stored = await putSecret(target(), 'rotated', 'new-value');
    assert.equal(stored.created, false);
    assert.ok(stored.versionId);
    assert.equal(await current(`${PREFIX}rotated`), 'new-value');
  });

  it('takes a name that already carries the prefix without doubling it', async () => {
    const stored = await putSecret(target(), `${PREFIX}prefixed`, 'value-1234');
    assert.equal(stored.name, `${PREFIX}prefixed`);
    assert.equal(secretId(PREFIX, 'team/billing-api'), `${PREFIX}team/billing-api`);
  });

  it('refuses bad names, an empty value and a value over the size limit, without naming the value', async () => {
    for (const name of ['', 'has space', '/leading', 'a//b', 'a/../b', 'trailing/', 'quote"']) {
      await assert.rejects(putSecret(target(), name, 'value-1234'), adminError('INVALID_INPUT', 'value-1234'));
    }
    await assert.rejects(putSecret(target(), 'empty', ''), adminError('INVALID_INPUT'));
    const huge = 'x'.repeat(MAX_SECRET_BYTES + 1);
    await assert.rejects(putSecret(target(), 'huge', huge), adminError('INVALID_INPUT', huge));
  });

  it('explains that a secret scheduled for deletion cannot be written', async () => {
    await putSecret(target(), 'doomed', 'doomed-value');
    await aws.secretsManager.send(new DeleteSecretCommand({ SecretId: `${PREFIX}doomed`, RecoveryWindowInDays: 7 }));
    await assert.rejects(putSecret(target(), 'doomed', 'doomed-value-2'), (error: AdminError) => {
      assert.equal(error.code, 'SECRET_NOT_WRITABLE');
      assert.match(error.message, /scheduled for deletion/);
      assert.ok(!error.message.includes('doomed-value-2'));
      return true;
    });
  });
});
