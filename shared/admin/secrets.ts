import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { errorCode } from '../errors/errors.js';
import { isSecretName, SECRET_NAME_RULE } from '../secrets/secret-name.js';
import { AdminError } from './admin-error.js';

/** The stack's secrets: a Secrets Manager client and the prefix every tool secret lives under. */
export interface SecretsTarget {
  client: SecretsManagerClient;
  /** e.g. `mcp-cluster/dev/` */
  prefix: string;
}

/** A secret to store: its name (as a tool's `secrets` binding names it) and its value, which nothing ever echoes. */
export interface PutSecretInput {
  name: string;
  value: string;
}

/** Whether a secret holds a value tools can read (see `secretState`). */
export type SecretState = 'stored' | 'missing' | 'deleting';

/** Secrets Manager's limit on a secret value. */
export const MAX_SECRET_BYTES = 65_536;

export interface StoredSecret {
  /** The full name: prefix + name. */
  name: string;
  /** True when the secret did not exist and was created. */
  created: boolean;
  versionId: string | null;
}

/** The full name for `name`: the prefix is added unless `name` already starts with it. */
export function secretId(prefix: string, name: string): string {
  const bare = name.startsWith(prefix) ? name.slice(prefix.length) : name;
  if (!isSecretName(bare)) {
    throw new AdminError(
      'INVALID_INPUT',
      `Invalid secret name ${JSON.stringify(name)}: ${SECRET_NAME_RULE}, as a tool's secrets binding names it.`,
    );
  }
  return `${prefix}${bare}`;
}

/**
 * Stores a value as the current version of `<prefix><name>`: a new version of an existing secret, or a new secret.
 * The value never appears in an error or a return value.
 */
export async function putSecret(target: SecretsTarget, name: string, value: string): Promise<StoredSecret> {
  const id = secretId(target.prefix, name);
  if (value.length === 0) throw new AdminError('INVALID_INPUT', 'The secret value is empty.');
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_BYTES) {
    throw new AdminError('INVALID_INPUT', `The secret value is larger than ${MAX_SECRET_BYTES} bytes.`);
  }
  try {
    try {
      const put = await target.client.send(new PutSecretValueCommand({ SecretId: id, SecretString: value }));
      return { name: id, created: false, versionId: put.VersionId ?? null };
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    try {
      const created = await target.client.send(new CreateSecretCommand({ Name: id, SecretString: value }));
      return { name: id, created: true, versionId: created.VersionId ?? null };
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw error;
      // Created by someone else in between: store ours as its new version.
      const put = await target.client.send(new PutSecretValueCommand({ SecretId: id, SecretString: value }));
      return { name: id, created: false, versionId: put.VersionId ?? null };
    }
  } catch (error) {
    const name = error instanceof Error ? error.name : errorCode(error);
    if (name === 'InvalidRequestException') {
      throw new AdminError(
        'SECRET_NOT_WRITABLE',
        `The secret ${id} cannot be written now (it may be scheduled for deletion: restore it first): ${(error as Error).message}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Whether `<prefix><name>` holds a value tools can read: `stored`, `missing` (no such secret, or one without a current
 * value) or `deleting` (scheduled for deletion). Reads the secret's metadata only (DescribeSecret), never its value.
 */
export async function secretState(target: SecretsTarget, name: string): Promise<SecretState> {
  const id = secretId(target.prefix, name);
  try {
    const described = await target.client.send(new DescribeSecretCommand({ SecretId: id }));
    if (described.DeletedDate) return 'deleting';
    const stages = Object.values(described.VersionIdsToStages ?? {});
    return stages.some((list) => list.includes('AWSCURRENT')) ? 'stored' : 'missing';
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return 'missing';
    throw error;
  }
}
