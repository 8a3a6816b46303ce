import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SecretUnavailableError } from '../../shared/errors/errors.js';
import { Redactor } from '../../shared/logging/redactor.js';
import { createSecretStore } from '../../shared/secrets/secret-store.js';
import { captureLogs, type LocalAws, silentLogger, sleep, startLocalAws, startLocalSecrets } from '../helpers/aws.js';

const PREFIX = 'stack-7f3a/';

describe('secret store (local Secrets Manager)', () => {
  let aws: LocalAws;

  before(async () => {
    aws = await startLocalAws();
    await aws.putSecret(`${PREFIX}weather-api`, '{"apiKey":"wx-key-0001","region":"eu"}');
    await aws.putSecret(`${PREFIX}mail-token`, 'mail-token-value-0002');
    await aws.putSecret('weather-api', 'unprefixed-value-0003');
  });
  after(() => aws.stop());

  const store = (options: { ttlMs?: number; redactor?: Redactor } = {}) =>
    createSecretStore({
      client: aws.secretsManager,
      prefix: PREFIX,
      ttlMs: options.ttlMs ?? 60_000,
      logger: silentLogger,
      redactor: options.redactor ?? new Redactor(),
    });

  it('resolves the named bindings under the prefix, and only those', async () => {
    const redactor = new Redactor();
    const values = await store({ redactor }).resolve({ token: 'mail-token' });
    assert.deepEqual(values, { token: 'mail-token-value-0002' });
    assert.equal(redactor.size, 1, 'no other secret was fetched');
  });

  it('resolves several bindings at once, and nothing for none', async () => {
    const secrets = store();
    assert.deepEqual(await secrets.resolve({}), {});
    assert.deepEqual(await secrets.resolve({ weather: 'weather-api', mail: 'mail-token' }), {
      weather: '{"apiKey":"wx-key-0001","region":"eu"}',
      mail: 'mail-token-value-0002',
    });
  });

  it('decodes a binary secret as UTF-8', async () => {
    await aws.secretsManager.send(
      new CreateSecretCommand({ Name: `${PREFIX}cert`, SecretBinary: Buffer.from('binary-secret-ü', 'utf8') }),
    );
    assert.deepEqual(await store().resolve({ cert: 'cert' }), { cert: 'binary-secret-ü' });
  });

  it('keeps the cached value for the TTL, then picks up a new one', async () => {
    await aws.putSecret(`${PREFIX}rotating`, 'rotating-v1');
    const secrets = store({ ttlMs: 150 });
    assert.deepEqual(await secrets.resolve({ key: 'rotating' }), { key: 'rotating-v1' });
    await aws.secretsManager.send(
      new PutSecretValueCommand({ SecretId: `${PREFIX}rotating`, SecretString: 'rotating-v2' }),
    );
    assert.deepEqual(await secrets.resolve({ key: 'rotating' }), { key: 'rotating-v1' });
    await sleep(200);
    assert.deepEqual(await secrets.resolve({ key: 'rotating' }), { key: 'rotating-v2' });
  });

  it('throws SECRET_UNAVAILABLE naming the binding, not the prefix or the ARN, for a missing secret', async () => {
    const logs = captureLogs();
    const secrets = createSecretStore({
      client: aws.secretsManager,
      prefix: PREFIX,
      ttlMs: 1_000,
      logger: logs.logger,
      redactor: new Redactor(),
    });
    await assert.rejects(secrets.resolve({ database: 'no-such-secret' }), (error: unknown) => {
      assert.ok(error instanceof SecretUnavailableError);
      assert.equal(error.code, 'SECRET_UNAVAILABLE');
      assert.match(error.message, /"database"/);
      assert.doesNotMatch(error.message, /stack-7f3a|arn:|no-such-secret/);
      return true;
    });
    assert.ok(logs.lines.length > 0, 'the failure is logged');
    for (const line of logs.lines) assert.doesNotMatch(line, /stack-7f3a|arn:aws/);
  });

  it('refuses a secret name outside the allowed alphabet without asking Secrets Manager', async () => {
    await assert.rejects(store().resolve({ x: '../other stack/secret' }), { code: 'SECRET_UNAVAILABLE' });
  });

  it('registers resolved values, and the fields of JSON values, in the redactor', async () => {
    const redactor = new Redactor();
    await store({ redactor }).resolve({ weather: 'weather-api' });
    assert.equal(
      redactor.redact('key wx-key-0001 in {"apiKey":"wx-key-0001","region":"eu"}'),
      'key [REDACTED] in [REDACTED]',
    );
  });

  it('keeps serving the cached value when Secrets Manager goes down after the TTL', async (t) => {
    const local = await startLocalSecrets({ failFast: true });
    t.after(() => local.dispose());
    await local.client.send(new CreateSecretCommand({ Name: `${PREFIX}db`, SecretString: 'db-password-0004' }));
    const logs = captureLogs();
    const secrets = createSecretStore({
      client: local.client,
      prefix: PREFIX,
      ttlMs: 100,
      logger: logs.logger,
      redactor: new Redactor(),
    });
    assert.deepEqual(await secrets.resolve({ db: 'db' }), { db: 'db-password-0004' });
    await local.stop();
    await sleep(150);
    assert.deepEqual(await secrets.resolve({ db: 'db' }), { db: 'db-password-0004' });
    const warning = logs.entries().find((entry) => entry.level === 'warn');
    assert.equal(warning?.message, 'secret refresh failed; using the cached value');
  });
});
