import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { type SecretsManagerServer, startSecretsManagerServer } from '../../infra/local/secrets-manager-server.js';

const FAKE_AUTHORIZATION =
  'AWS4-HMAC-SHA256 Credential=local/20240101/eu-west-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, ' +
  `Signature=${'0'.repeat(64)}`;

function clientFor(server: SecretsManagerServer): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: server.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the call to fail');
}

function rawRequest(server: SecretsManagerServer, target: string, body: string, authorization?: string) {
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-amz-json-1.1',
    'X-Amz-Target': target,
  };
  if (authorization) headers['Authorization'] = authorization;
  return fetch(`${server.url}/`, { method: 'POST', headers, body });
}

describe('local Secrets Manager server', () => {
  let server: SecretsManagerServer;
  let client: SecretsManagerClient;

  before(async () => {
    server = await startSecretsManagerServer();
    client = clientFor(server);
  });

  after(async () => {
    client.destroy();
    await server.close();
  });

  it('creates a secret and returns its current value by name, with an ARN in the signing region', async () => {
    const created = await client.send(
      new CreateSecretCommand({ Name: 'app/db', SecretString: '{"password":"s3cret"}', Description: 'database' }),
    );
    assert.match(created.ARN ?? '', /^arn:aws:secretsmanager:eu-west-1:000000000000:secret:app\/db-[A-Za-z0-9]{6}$/);
    assert.equal(created.Name, 'app/db');

    const value = await client.send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    assert.equal(value.SecretString, '{"password":"s3cret"}');
    assert.equal(value.ARN, created.ARN);
    assert.equal(value.VersionId, created.VersionId);
    assert.deepEqual(value.VersionStages, ['AWSCURRENT']);
    assert.ok(value.CreatedDate instanceof Date);
    assert.ok(Math.abs(value.CreatedDate.getTime() - Date.now()) < 60_000);
  });

  it('finds a secret by its full ARN and by its partial ARN without the random suffix', async () => {
    const created = await client.send(new CreateSecretCommand({ Name: 'by-arn', SecretString: 'arn-value' }));
    const arn = created.ARN ?? '';

    const byArn = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    assert.equal(byArn.SecretString, 'arn-value');
    const byPartialArn = await client.send(new GetSecretValueCommand({ SecretId: arn.slice(0, -7) }));
    assert.equal(byPartialArn.Name, 'by-arn');
  });

  it('makes the SDK raise ResourceNotFoundException for a secret that does not exist', async () => {
    const error = await rejectionOf(client.send(new GetSecretValueCommand({ SecretId: 'does-not-exist' })));
    assert.equal(error.name, 'ResourceNotFoundException');
    assert.equal(error.message, "Secrets Manager can't find the specified secret.");
    assert.equal(error.$metadata?.httpStatusCode, 400);
  });

  it('makes the SDK raise ResourceExistsException when creating a secret whose name is taken', async () => {
    await client.send(new CreateSecretCommand({ Name: 'taken', SecretString: 'first' }));
    const error = await rejectionOf(client.send(new CreateSecretCommand({ Name: 'taken', SecretString: 'second' })));
    assert.equal(error.name, 'ResourceExistsException');

    const value = await client.send(new GetSecretValueCommand({ SecretId: 'taken' }));
    assert.equal(value.SecretString, 'first');
  });

  it('returns the newest value after PutSecretValue and keeps the previous one as AWSPREVIOUS', async () => {
    const created = await client.send(new CreateSecretCommand({ Name: 'rotating', SecretString: 'v1' }));
    const second = await client.send(new PutSecretValueCommand({ SecretId: 'rotating', SecretString: 'v2' }));
    assert.deepEqual(second.VersionStages, ['AWSCURRENT']);
    const third = await client.send(new PutSecretValueCommand({ SecretId: 'rotating', SecretString: 'v3' }));

    const current = await client.send(new GetSecretValueCommand({ SecretId: 'rotating' }));
    assert.equal(current.SecretString, 'v3');
    assert.equal(current.VersionId, third.VersionId);
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: 'rotating', VersionStage: 'AWSPREVIOUS' }),
    );
    assert.equal(previous.SecretString, 'v2');
    assert.deepEqual(previous.VersionStages, ['AWSPREVIOUS']);
    const oldest = await client.send(new GetSecretValueCommand({ SecretId: 'rotating', VersionId: created.VersionId }));
    assert.equal(oldest.SecretString, 'v1');
    assert.deepEqual(oldest.VersionStages, []);

    const described = await client.send(new DescribeSecretCommand({ SecretId: 'rotating' }));
    assert.deepEqual(described.VersionIdsToStages, {
      [second.VersionId ?? '']: ['AWSPREVIOUS'],
      [third.VersionId ?? '']: ['AWSCURRENT'],
    });
  });

  it('treats a retried PutSecretValue with the same ClientRequestToken as the same version', async () => {
    await client.send(new CreateSecretCommand({ Name: 'idempotent', SecretString: 'v1' }));
    const token = 'retry-token-0000000000000000000000000001';
    const first = await client.send(
      new PutSecretValueCommand({ SecretId: 'idempotent', SecretString: 'v2', ClientRequestToken: token }),
    );
    const retried = await client.send(
      new PutSecretValueCommand({ SecretId: 'idempotent', SecretString: 'v2', ClientRequestToken: token }),
    );
    assert.equal(first.VersionId, token);
    assert.equal(retried.VersionId, token);
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: 'idempotent', VersionStage: 'AWSPREVIOUS' }),
    );
    assert.equal(previous.SecretString, 'v1');

    const conflicting = await rejectionOf(
      client.send(new PutSecretValueCommand({ SecretId: 'idempotent', SecretString: 'v3', ClientRequestToken: token })),
    );
    assert.equal(conflicting.name, 'ResourceExistsException');
  });

  it('updates the value and the description with UpdateSecret and reports them in DescribeSecret', async () => {
    await client.send(
      new CreateSecretCommand({ Name: 'updatable', SecretString: 'old', Tags: [{ Key: 'team', Value: 'core' }] }),
    );
    const updated = await client.send(
      new UpdateSecretCommand({ SecretId: 'updatable', SecretString: 'new', Description: 'now described' }),
    );
    assert.ok(updated.VersionId);

    const value = await client.send(new GetSecretValueCommand({ SecretId: 'updatable' }));
    assert.equal(value.SecretString, 'new');
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'updatable' }));
    assert.equal(described.Description, 'now described');
    assert.deepEqual(described.Tags, [{ Key: 'team', Value: 'core' }]);
    assert.ok(described.CreatedDate instanceof Date);
    assert.ok(described.LastAccessedDate instanceof Date);
    assert.equal(described.DeletedDate, undefined);
  });

  it('stores and returns binary secrets', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await client.send(new CreateSecretCommand({ Name: 'binary', SecretBinary: bytes }));
    const value = await client.send(new GetSecretValueCommand({ SecretId: 'binary' }));
    assert.equal(value.SecretString, undefined);
    assert.deepEqual(Buffer.from(value.SecretBinary ?? []), Buffer.from(bytes));
  });

  it('lists only secrets whose name starts with the filter prefix, page by page with NextToken', async () => {
    for (const name of ['list/a', 'list/b', 'list/c', 'other/list/d']) {
      await client.send(new CreateSecretCommand({ Name: name, SecretString: 'x' }));
    }
    const names: string[] = [];
    const pageSizes: number[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }], MaxResults: 2, NextToken: nextToken }),
      );
      pageSizes.push(page.SecretList?.length ?? 0);
      names.push(...(page.SecretList ?? []).map((secret) => secret.Name ?? ''));
      nextToken = page.NextToken;
    } while (nextToken);

    assert.deepEqual(names, ['list/a', 'list/b', 'list/c']);
    assert.deepEqual(pageSizes, [2, 1]);
  });

  it('makes the SDK raise InvalidParameterException for an invalid secret name', async () => {
    const error = await rejectionOf(client.send(new CreateSecretCommand({ Name: 'bad name!', SecretString: 'x' })));
    assert.equal(error.name, 'InvalidParameterException');
  });

  it('schedules a deletion without force: reads fail with InvalidRequestException until RestoreSecret', async () => {
    await client.send(new CreateSecretCommand({ Name: 'soft-deleted', SecretString: 'keep me' }));
    const deleted = await client.send(new DeleteSecretCommand({ SecretId: 'soft-deleted', RecoveryWindowInDays: 7 }));
    const sixDays = 6 * 86_400_000;
    assert.ok((deleted.DeletionDate?.getTime() ?? 0) - Date.now() > sixDays);

    const error = await rejectionOf(client.send(new GetSecretValueCommand({ SecretId: 'soft-deleted' })));
    assert.equal(error.name, 'InvalidRequestException');
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'soft-deleted' }));
    assert.ok(described.DeletedDate instanceof Date);
    const listed = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['soft-deleted'] }] }));
    assert.deepEqual(listed.SecretList, []);
    const recreate = await rejectionOf(
      client.send(new CreateSecretCommand({ Name: 'soft-deleted', SecretString: 'x' })),
    );
    assert.equal(recreate.name, 'InvalidRequestException');

    await client.send(new RestoreSecretCommand({ SecretId: 'soft-deleted' }));
    const value = await client.send(new GetSecretValueCommand({ SecretId: 'soft-deleted' }));
    assert.equal(value.SecretString, 'keep me');
  });

  it('removes a secret at once with ForceDeleteWithoutRecovery so its name can be reused', async () => {
    await client.send(new CreateSecretCommand({ Name: 'force-deleted', SecretString: 'gone' }));
    await client.send(new DeleteSecretCommand({ SecretId: 'force-deleted', ForceDeleteWithoutRecovery: true }));

    const error = await rejectionOf(client.send(new GetSecretValueCommand({ SecretId: 'force-deleted' })));
    assert.equal(error.name, 'ResourceNotFoundException');
    await client.send(new CreateSecretCommand({ Name: 'force-deleted', SecretString: 'again' }));
    const value = await client.send(new GetSecretValueCommand({ SecretId: 'force-deleted' }));
    assert.equal(value.SecretString, 'again');
  });

  it('rejects an unsigned request with IncompleteSignatureException', async () => {
    const response = await rawRequest(server, 'secretsmanager.GetSecretValue', '{"SecretId":"app/db"}');
    assert.equal(response.status, 400);
    const body = (await response.json()) as { __type: string; message: string };
    assert.equal(body.__type, 'IncompleteSignatureException');
    assert.doesNotMatch(JSON.stringify(body), /s3cret/);
  });

  it('answers an unknown operation with UnknownOperationException', async () => {
    const response = await rawRequest(server, 'secretsmanager.RotateEverything', '{}', FAKE_AUTHORIZATION);
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { __type: string }).__type, 'UnknownOperationException');
  });

  it('answers a body that is not JSON with SerializationException', async () => {
    const response = await rawRequest(server, 'secretsmanager.GetSecretValue', 'not json', FAKE_AUTHORIZATION);
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { __type: string }).__type, 'SerializationException');
  });
});

describe('local Secrets Manager server with a state file', () => {
  let directory: string;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'secrets-manager-server-'));
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('keeps secrets, versions and ARNs across a restart with the same file', async () => {
    const file = join(directory, 'state', 'secrets.json');
    const first = await startSecretsManagerServer({ file });
    const firstClient = clientFor(first);
    let arn: string | undefined;
    try {
      arn = (await firstClient.send(new CreateSecretCommand({ Name: 'persisted', SecretString: 'v1' }))).ARN;
      await firstClient.send(new PutSecretValueCommand({ SecretId: 'persisted', SecretString: 'v2' }));
      await firstClient.send(new CreateSecretCommand({ Name: 'dropped', SecretString: 'x' }));
      await firstClient.send(new DeleteSecretCommand({ SecretId: 'dropped', ForceDeleteWithoutRecovery: true }));
    } finally {
      firstClient.destroy();
      await first.close();
    }
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.ok(JSON.parse(await readFile(file, 'utf8')));

    const second = await startSecretsManagerServer({ file });
    const secondClient = clientFor(second);
    try {
      const current = await secondClient.send(new GetSecretValueCommand({ SecretId: 'persisted' }));
      assert.equal(current.SecretString, 'v2');
      assert.equal(current.ARN, arn);
      const previous = await secondClient.send(
        new GetSecretValueCommand({ SecretId: 'persisted', VersionStage: 'AWSPREVIOUS' }),
      );
      assert.equal(previous.SecretString, 'v1');
      const error = await rejectionOf(secondClient.send(new GetSecretValueCommand({ SecretId: 'dropped' })));
      assert.equal(error.name, 'ResourceNotFoundException');
    } finally {
      secondClient.destroy();
      await second.close();
    }
  });

  it('refuses to start from a file that is not a state file instead of overwriting it', async () => {
    const file = join(directory, 'not-state.json');
    await writeFile(file, '{"hello":"world"}');
    await assert.rejects(startSecretsManagerServer({ file }), /not a secrets-manager-server state file/);
  });
});
