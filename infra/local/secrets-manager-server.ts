/**
 * A local, dependency-free stand-in for AWS Secrets Manager that speaks the real JSON 1.1 wire protocol, so the real
 * `@aws-sdk/client-secrets-manager` client can be pointed at it (`endpoint: 'http://127.0.0.1:PORT'` or
 * AWS_ENDPOINT_URL_SECRETS_MANAGER) on a laptop or in CI without an AWS account.
 *
 * It checks that requests look SigV4-signed but does not verify signatures. It never logs anything, secret values
 * included. With `file`, state survives restarts (written atomically after every change, mode 0600).
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

export interface SecretsManagerServerOptions {
  /** Port to listen on; 0 (the default) picks a free port. */
  port?: number;
  /** Interface to bind; defaults to 127.0.0.1. */
  host?: string;
  /** JSON file to load at start (if it exists) and to rewrite after every change. */
  file?: string;
}

export interface SecretsManagerServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const ACCOUNT_ID = '000000000000';
const DEFAULT_REGION = 'us-east-1';
const TARGET_PREFIX = 'secretsmanager.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const AWSCURRENT = 'AWSCURRENT';
const AWSPREVIOUS = 'AWSPREVIOUS';
const DAY_MS = 86_400_000;
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_SECRET_BYTES = 65_536;
const MAX_VERSIONS = 100;
const MAX_LIST_RESULTS = 100;
const FILE_FORMAT_VERSION = 1;

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** SigV4 `Authorization` header parts; the credential scope's third segment is the signing region. */
const SIGV4_CREDENTIAL = /^AWS4-HMAC-SHA256 Credential=[^/\s,]+\/\d{8}\/([a-z0-9-]+)\/secretsmanager\/aws4_request,/;
const SIGV4_SIGNED_HEADERS = /,\s*SignedHeaders=[a-z0-9;-]+,/;
const SIGV4_SIGNATURE = /,\s*Signature=[0-9a-f]{64}$/;
const ARN_SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const FILTER_KEYS = ['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all'] as const;

type Json = Record<string, unknown>;
type FilterKey = (typeof FILTER_KEYS)[number];

interface Tag {
  Key: string;
  Value: string;
}

interface SecretValue {
  secretString?: string;
  /** Base64, exactly as it travels on the wire. */
  secretBinary?: string;
}

interface SecretVersion extends SecretValue {
  id: string;
  stages: string[];
  createdAt: number;
}

/** One secret; all times are epoch milliseconds. */
interface Secret {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: Tag[];
  versions: SecretVersion[];
  createdAt: number;
  lastChangedAt: number;
  lastAccessedAt?: number;
  /** Set while the secret is scheduled for deletion. */
  deletedAt?: number;
  purgeAt?: number;
}

interface Filter {
  key: FilterKey;
  values: string[];
}

interface RequestContext {
  region: string;
  now: number;
}

type Operation = (store: SecretStore, input: Json, context: RequestContext) => Json;

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const secretNotFound = () =>
  new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const invalidParameter = (message: string) => new ServiceError('InvalidParameterException', message);
const invalidRequest = (message: string) => new ServiceError('InvalidRequestException', message);
const markedForDeletion = () =>
  invalidRequest("You can't perform this operation on the secret because it was marked for deletion.");

// ---------------------------------------------------------------------------------------------------------------
// State

class SecretStore {
  private readonly secrets = new Map<string, Secret>();
  /** Bumped on every change, so the server knows when to persist. */
  revision = 0;

  constructor(initial: Secret[]) {
    for (const secret of initial) this.secrets.set(secret.name, secret);
  }

  all(): Secret[] {
    return [...this.secrets.values()];
  }

  peek(name: string): Secret | undefined {
    return this.secrets.get(name);
  }

  /** Resolves a SecretId: a name, a full ARN, or a partial ARN (without the random suffix). */
  find(secretId: string): Secret {
    const byName = this.secrets.get(secretId);
    if (byName) return byName;
    if (secretId.startsWith('arn:')) {
      for (const secret of this.secrets.values()) {
        if (secret.arn === secretId || secret.arn.slice(0, -7) === secretId) return secret;
      }
    }
    throw secretNotFound();
  }

  add(secret: Secret): void {
    this.secrets.set(secret.name, secret);
    this.changed();
  }

  remove(secret: Secret): void {
    this.secrets.delete(secret.name);
    this.changed();
  }

  changed(): void {
    this.revision += 1;
  }

  /** Drops secrets whose recovery window has passed, as AWS does in the background. */
  purgeExpired(now: number): void {
    for (const secret of this.secrets.values()) {
      if (secret.purgeAt !== undefined && secret.purgeAt <= now) this.remove(secret);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Input validation

function optionalString(input: Json, key: string, maxLength: number): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`${key} must be a string.`);
  if (value.length > maxLength) throw invalidParameter(`${key} must be at most ${maxLength} characters long.`);
  return value;
}

function requiredString(input: Json, key: string, maxLength: number): string {
  const value = optionalString(input, key, maxLength);
  if (!value) throw invalidParameter(`You must provide a value for ${key}.`);
  return value;
}

function optionalBoolean(input: Json, key: string): boolean | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidParameter(`${key} must be a boolean.`);
  return value;
}

function optionalInteger(input: Json, key: string, min: number, max: number): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(`${key} must be an integer between ${min} and ${max}.`);
  }
  return value;
}

function optionalArray(input: Json, key: string, maxItems: number): unknown[] | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > maxItems) {
    throw invalidParameter(`${key} must be a list of at most ${maxItems} items.`);
  }
  return value;
}

function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readSecretId(input: Json): string {
  return requiredString(input, 'SecretId', 2048);
}

function readName(input: Json): string {
  const name = requiredString(input, 'Name', 512);
  if (!SECRET_NAME.test(name)) {
    throw invalidParameter(
      'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
    );
  }
  return name;
}

function readClientRequestToken(input: Json): string | undefined {
  const token = optionalString(input, 'ClientRequestToken', 64);
  if (token !== undefined && token.length < 32) {
    throw invalidParameter('ClientRequestToken must be between 32 and 64 characters long.');
  }
  return token;
}

function readSecretValue(input: Json): SecretValue | undefined {
  const secretString = optionalString(input, 'SecretString', MAX_SECRET_BYTES);
  const secretBinary = optionalString(input, 'SecretBinary', Math.ceil(MAX_SECRET_BYTES / 3) * 4);
  if (secretString !== undefined && secretBinary !== undefined) {
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (secretString !== undefined) {
    if (Buffer.byteLength(secretString, 'utf8') > MAX_SECRET_BYTES) {
      throw invalidParameter(`SecretString must be at most ${MAX_SECRET_BYTES} bytes.`);
    }
    return { secretString };
  }
  if (secretBinary !== undefined) {
    if (!BASE64.test(secretBinary)) throw invalidParameter('SecretBinary must be base64-encoded.');
    return { secretBinary };
  }
  return undefined;
}

function readVersionStages(input: Json): string[] | undefined {
  const stages = optionalArray(input, 'VersionStages', 20);
  if (stages === undefined) return undefined;
  if (stages.length === 0 || !stages.every((stage) => typeof stage === 'string' && stage.length > 0)) {
    throw invalidParameter('VersionStages must be a non-empty list of staging labels.');
  }
  return [...new Set(stages as string[])];
}

function readTags(input: Json): Tag[] {
  const tags = optionalArray(input, 'Tags', 50) ?? [];
  return tags.map((tag) => {
    if (!isJsonObject(tag)) throw invalidParameter('Each tag must be an object with Key and Value.');
    return { Key: requiredString(tag, 'Key', 128), Value: optionalString(tag, 'Value', 256) ?? '' };
  });
}

function readFilters(input: Json): Filter[] {
  const filters = optionalArray(input, 'Filters', 10) ?? [];
  return filters.map((filter) => {
    if (!isJsonObject(filter)) throw invalidParameter('Each filter must be an object with Key and Values.');
    const key = requiredString(filter, 'Key', 32);
    if (!(FILTER_KEYS as readonly string[]).includes(key)) {
      throw invalidParameter(`Invalid filter key: must be one of ${FILTER_KEYS.join(', ')}.`);
    }
    const values = optionalArray(filter, 'Values', 10) ?? [];
    if (values.length === 0 || !values.every((value) => typeof value === 'string' && value.length <= 512)) {
      throw invalidParameter('Filter Values must be a list of 1 to 10 strings.');
    }
    return { key: key as FilterKey, values: values as string[] };
  });
}

function readNextToken(input: Json): number {
  const token = optionalString(input, 'NextToken', 4096);
  if (token === undefined) return 0;
  const offset = Number(
    Buffer.from(token, 'base64url')
      .toString('utf8')
      .replace(/^offset:/, ''),
  );
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new ServiceError('InvalidNextTokenException', 'The NextToken value is invalid.');
  }
  return offset;
}

function encodeNextToken(offset: number): string {
  return Buffer.from(`offset:${offset}`, 'utf8').toString('base64url');
}

// ---------------------------------------------------------------------------------------------------------------
// Secrets and versions

function newArn(region: string, name: string): string {
  let suffix = '';
  for (let i = 0; i < 6; i += 1) suffix += ARN_SUFFIX_ALPHABET[randomInt(ARN_SUFFIX_ALPHABET.length)];
  return `arn:aws:secretsmanager:${region}:${ACCOUNT_ID}:secret:${name}-${suffix}`;
}

function sameValue(a: SecretValue, b: SecretValue): boolean {
  return a.secretString === b.secretString && a.secretBinary === b.secretBinary;
}

function assertNotDeleted(secret: Secret): void {
  if (secret.deletedAt !== undefined) throw markedForDeletion();
}

function findVersionByStage(secret: Secret, stage: string): SecretVersion | undefined {
  return secret.versions.find((version) => version.stages.includes(stage));
}

/** Returns the version a retried request (same ClientRequestToken, same value) already created, if any. */
function replayedVersion(secret: Secret, token: string | undefined, value: SecretValue): SecretVersion | undefined {
  const existing = token === undefined ? undefined : secret.versions.find((version) => version.id === token);
  if (existing && !sameValue(existing, value)) {
    throw new ServiceError(
      'ResourceExistsException',
      "You can't modify an existing version, you can only create a new version.",
    );
  }
  return existing;
}

/** Adds a version carrying `stages`; moving AWSCURRENT turns the old current version into AWSPREVIOUS. */
function addVersion(secret: Secret, value: SecretValue, id: string, stages: string[], now: number): SecretVersion {
  const previousCurrent = findVersionByStage(secret, AWSCURRENT);
  for (const version of secret.versions) {
    version.stages = version.stages.filter((stage) => !stages.includes(stage));
  }
  if (previousCurrent && stages.includes(AWSCURRENT)) {
    for (const version of secret.versions) {
      version.stages = version.stages.filter((stage) => stage !== AWSPREVIOUS);
    }
    previousCurrent.stages.push(AWSPREVIOUS);
  }
  const version: SecretVersion = { id, ...value, stages: [...stages], createdAt: now };
  secret.versions.push(version);
  secret.lastChangedAt = now;
  pruneDeprecatedVersions(secret);
  return version;
}

/** Like AWS, keeps at most MAX_VERSIONS versions by dropping the oldest ones without staging labels. */
function pruneDeprecatedVersions(secret: Secret): void {
  while (secret.versions.length > MAX_VERSIONS) {
    const index = secret.versions.findIndex((version) => version.stages.length === 0);
    if (index === -1) return;
    secret.versions.splice(index, 1);
  }
}

function versionIdsToStages(secret: Secret): Record<string, string[]> {
  const entries = secret.versions.filter((version) => version.stages.length > 0);
  return Object.fromEntries(entries.map((version) => [version.id, [...version.stages]]));
}

const toEpochSeconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

function secretMetadata(secret: Secret): Json {
  return {
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    KmsKeyId: secret.kmsKeyId,
    Tags: secret.tags.length > 0 ? secret.tags : undefined,
    CreatedDate: toEpochSeconds(secret.createdAt),
    LastChangedDate: toEpochSeconds(secret.lastChangedAt),
    LastAccessedDate: toEpochSeconds(secret.lastAccessedAt),
    DeletedDate: toEpochSeconds(secret.deletedAt),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Filters

function startsWith(candidate: string, prefix: string, caseSensitive: boolean): boolean {
  return caseSensitive ? candidate.startsWith(prefix) : candidate.toLowerCase().startsWith(prefix.toLowerCase());
}

function filterCandidates(secret: Secret, key: FilterKey): string[] {
  switch (key) {
    case 'name':
      return [secret.name];
    case 'description':
      return secret.description === undefined ? [] : [secret.description];
    case 'tag-key':
      return secret.tags.map((tag) => tag.Key);
    case 'tag-value':
      return secret.tags.map((tag) => tag.Value);
    case 'primary-region':
    case 'owning-service':
      return [];
    case 'all':
      return [secret.name, secret.description ?? '', ...secret.tags.flatMap((tag) => [tag.Key, tag.Value])];
  }
}

function matchesValue(secret: Secret, key: FilterKey, value: string): boolean {
  const candidates = filterCandidates(secret, key);
  const caseSensitive = key !== 'description' && key !== 'all';
  const words = key === 'all' ? value.split(/\s+/).filter(Boolean) : [value];
  return words.every((word) => candidates.some((candidate) => startsWith(candidate, word, caseSensitive)));
}

/** Values of one filter are OR-ed; values starting with `!` exclude matches. Filters are AND-ed by the caller. */
function matchesFilter(secret: Secret, filter: Filter): boolean {
  const negated = filter.values.filter((value) => value.startsWith('!')).map((value) => value.slice(1));
  const wanted = filter.values.filter((value) => !value.startsWith('!'));
  if (negated.some((value) => matchesValue(secret, filter.key, value))) return false;
  return wanted.length === 0 || wanted.some((value) => matchesValue(secret, filter.key, value));
}

// ---------------------------------------------------------------------------------------------------------------
// Operations

const createSecret: Operation = (store, input, { region, now }) => {
  const name = readName(input);
  const description = optionalString(input, 'Description', 2048);
  const kmsKeyId = optionalString(input, 'KmsKeyId', 2048);
  const tags = readTags(input);
  const value = readSecretValue(input);
  const token = readClientRequestToken(input);
  const existing = store.peek(name);
  if (existing?.deletedAt !== undefined) {
    throw invalidRequest(
      "You can't create this secret because a secret with this name is already scheduled for deletion.",
    );
  }
  if (existing) {
    throw new ServiceError(
      'ResourceExistsException',
      `The operation failed because the secret ${name} already exists.`,
    );
  }

  const secret: Secret = {
    arn: newArn(region, name),
    name,
    description,
    kmsKeyId,
    tags,
    versions: [],
    createdAt: now,
    lastChangedAt: now,
  };
  const version = value ? addVersion(secret, value, token ?? randomUUID(), [AWSCURRENT], now) : undefined;
  store.add(secret);
  return { ARN: secret.arn, Name: secret.name, VersionId: version?.id };
};

const getSecretValue: Operation = (store, input, { now }) => {
  const secret = store.find(readSecretId(input));
  const versionId = optionalString(input, 'VersionId', 64);
  const versionStage = optionalString(input, 'VersionStage', 256);
  assertNotDeleted(secret);

  const version =
    versionId === undefined
      ? findVersionByStage(secret, versionStage ?? AWSCURRENT)
      : secret.versions.find((candidate) => candidate.id === versionId);
  if (!version || (versionStage !== undefined && !version.stages.includes(versionStage))) {
    const label = versionId === undefined ? `staging label: ${versionStage ?? AWSCURRENT}` : `VersionId: ${versionId}`;
    throw new ServiceError(
      'ResourceNotFoundException',
      `Secrets Manager can't find the specified secret value for ${label}`,
    );
  }

  // AWS records access to the day only, so this writes at most once a day per secret.
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  if (secret.lastAccessedAt !== today) {
    secret.lastAccessedAt = today;
    store.changed();
  }
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: version.id,
    SecretString: version.secretString,
    SecretBinary: version.secretBinary,
    VersionStages: [...version.stages],
    CreatedDate: toEpochSeconds(version.createdAt),
  };
};

const putSecretValue: Operation = (store, input, { now }) => {
  const secret = store.find(readSecretId(input));
  const value = readSecretValue(input);
  if (!value) throw invalidParameter('You must provide either SecretString or SecretBinary.');
  const stages = readVersionStages(input) ?? [AWSCURRENT];
  const token = readClientRequestToken(input);
  assertNotDeleted(secret);

  let version = replayedVersion(secret, token, value);
  if (!version) {
    version = addVersion(secret, value, token ?? randomUUID(), stages, now);
    store.changed();
  }
  return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
};

const updateSecret: Operation = (store, input, { now }) => {
  const secret = store.find(readSecretId(input));
  const description = optionalString(input, 'Description', 2048);
  const kmsKeyId = optionalString(input, 'KmsKeyId', 2048);
  const value = readSecretValue(input);
  const token = readClientRequestToken(input);
  assertNotDeleted(secret);

  const replayed = value ? replayedVersion(secret, token, value) : undefined;
  if (replayed) return { ARN: secret.arn, Name: secret.name, VersionId: replayed.id };

  if (description !== undefined) secret.description = description;
  if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
  const version = value ? addVersion(secret, value, token ?? randomUUID(), [AWSCURRENT], now) : undefined;
  secret.lastChangedAt = now;
  store.changed();
  return { ARN: secret.arn, Name: secret.name, VersionId: version?.id };
};

const describeSecret: Operation = (store, input) => {
  const secret = store.find(readSecretId(input));
  return { ...secretMetadata(secret), VersionIdsToStages: versionIdsToStages(secret) };
};

const listSecrets: Operation = (store, input) => {
  const maxResults = optionalInteger(input, 'MaxResults', 1, MAX_LIST_RESULTS) ?? MAX_LIST_RESULTS;
  const includeDeleted = optionalBoolean(input, 'IncludePlannedDeletion') ?? false;
  const filters = readFilters(input);
  const sortOrder = optionalString(input, 'SortOrder', 4) ?? 'asc';
  if (sortOrder !== 'asc' && sortOrder !== 'desc') throw invalidParameter('SortOrder must be asc or desc.');
  const offset = readNextToken(input);

  const matching = store
    .all()
    .filter((secret) => includeDeleted || secret.deletedAt === undefined)
    .filter((secret) => filters.every((filter) => matchesFilter(secret, filter)))
    .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  if (sortOrder === 'desc') matching.reverse();

  const page = matching.slice(offset, offset + maxResults);
  const nextOffset = offset + maxResults;
  return {
    SecretList: page.map((secret) => ({
      ...secretMetadata(secret),
      SecretVersionsToStages: versionIdsToStages(secret),
    })),
    NextToken: nextOffset < matching.length ? encodeNextToken(nextOffset) : undefined,
  };
};

const deleteSecret: Operation = (store, input, { now }) => {
  const secret = store.find(readSecretId(input));
  const force = optionalBoolean(input, 'ForceDeleteWithoutRecovery') ?? false;
  const recoveryWindowInDays = optionalInteger(input, 'RecoveryWindowInDays', 7, 30);
  if (force && recoveryWindowInDays !== undefined) {
    throw invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
  }

  if (force) {
    store.remove(secret);
    return { ARN: secret.arn, Name: secret.name, DeletionDate: toEpochSeconds(now) };
  }
  assertNotDeleted(secret);
  secret.deletedAt = now;
  secret.purgeAt = now + (recoveryWindowInDays ?? 30) * DAY_MS;
  store.changed();
  return { ARN: secret.arn, Name: secret.name, DeletionDate: toEpochSeconds(secret.purgeAt) };
};

const restoreSecret: Operation = (store, input, { now }) => {
  const secret = store.find(readSecretId(input));
  if (secret.deletedAt !== undefined) {
    delete secret.deletedAt;
    delete secret.purgeAt;
    secret.lastChangedAt = now;
    store.changed();
  }
  return { ARN: secret.arn, Name: secret.name };
};

const OPERATIONS = new Map<string, Operation>([
  ['CreateSecret', createSecret],
  ['GetSecretValue', getSecretValue],
  ['PutSecretValue', putSecretValue],
  ['UpdateSecret', updateSecret],
  ['DescribeSecret', describeSecret],
  ['ListSecrets', listSecrets],
  ['DeleteSecret', deleteSecret],
  ['RestoreSecret', restoreSecret],
]);

// ---------------------------------------------------------------------------------------------------------------
// Persistence

function isStoredSecret(value: unknown): value is Secret {
  return (
    isJsonObject(value) &&
    typeof value.arn === 'string' &&
    typeof value.name === 'string' &&
    typeof value.createdAt === 'number' &&
    typeof value.lastChangedAt === 'number' &&
    Array.isArray(value.tags) &&
    Array.isArray(value.versions) &&
    value.versions.every((version) => isJsonObject(version) && typeof version.id === 'string')
  );
}

class SecretFile {
  /** Writes run one after another, in the order they were requested. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  async load(): Promise<Secret[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const data: unknown = JSON.parse(text);
    if (
      !isJsonObject(data) ||
      data.version !== FILE_FORMAT_VERSION ||
      !Array.isArray(data.secrets) ||
      !data.secrets.every(isStoredSecret)
    ) {
      throw new Error(`${this.path} is not a secrets-manager-server state file (version ${FILE_FORMAT_VERSION})`);
    }
    return data.secrets;
  }

  /** Serialises the state now, writes it once earlier writes are done. */
  save(secrets: Secret[]): Promise<void> {
    const text = JSON.stringify({ version: FILE_FORMAT_VERSION, secrets }, null, 2);
    const write = this.queue.then(() => this.write(text));
    this.queue = write.catch(() => undefined);
    return write;
  }

  flush(): Promise<void> {
    return this.queue;
  }

  private async write(text: string): Promise<void> {
    const temporary = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      const handle = await open(temporary, 'w', 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP

/** Returns the signing region, or throws unless the Authorization header has the shape of a SigV4 signature. */
function signingRegion(request: IncomingMessage): string {
  const authorization = request.headers.authorization ?? '';
  const match = SIGV4_CREDENTIAL.exec(authorization);
  if (!match || !SIGV4_SIGNED_HEADERS.test(authorization) || !SIGV4_SIGNATURE.test(authorization)) {
    throw new ServiceError(
      'IncompleteSignatureException',
      "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters (AWS4-HMAC-SHA256).",
    );
  }
  return match[1] ?? DEFAULT_REGION;
}

function resolveOperation(request: IncomingMessage): Operation {
  const target = request.headers['x-amz-target'];
  const name = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  const operation = OPERATIONS.get(name);
  if (!operation) {
    throw new ServiceError(
      'UnknownOperationException',
      `Unknown or unsupported operation: ${String(target).slice(0, 100)}`,
    );
  }
  return operation;
}

function parseInput(body: Buffer): Json {
  if (body.length === 0) return {};
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ServiceError('SerializationException', 'The request body is not valid JSON.');
  }
  if (!isJsonObject(input)) throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
  return input;
}

/** Reads the whole body; an oversized body is drained (so the connection stays usable) and then rejected. */
async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_BODY_BYTES) {
    throw new ServiceError('RequestEntityTooLargeException', 'The request body is too large.', 413);
  }
  return Buffer.concat(chunks);
}

function sendJson(response: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  response.end(text);
}

function sendError(response: ServerResponse, error: ServiceError): void {
  sendJson(response, error.status, { __type: error.type, message: error.message }, { 'x-amzn-ErrorType': error.type });
}

function runOperation(store: SecretStore, request: IncomingMessage, body: Buffer): Json {
  if (request.method !== 'POST') {
    throw new ServiceError('UnknownOperationException', 'Only POST requests are supported.', 405);
  }
  const region = signingRegion(request);
  const operation = resolveOperation(request);
  const input = parseInput(body);
  const now = Date.now();
  store.purgeExpired(now);
  return operation(store, input, { region, now });
}

async function handleRequest(
  store: SecretStore,
  file: SecretFile | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const revision = store.revision;
  let outcome: Json | ServiceError;
  try {
    outcome = runOperation(store, request, await readBody(request));
  } catch (error) {
    outcome = error instanceof ServiceError ? error : new ServiceError('InternalServiceError', 'Internal error.', 500);
  }
  if (file && store.revision !== revision) {
    try {
      await file.save(store.all());
    } catch {
      outcome = new ServiceError('InternalServiceError', 'The change could not be written to the state file.', 500);
    }
  }
  if (outcome instanceof ServiceError) sendError(response, outcome);
  else sendJson(response, 200, outcome);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}

export async function startSecretsManagerServer(
  options: SecretsManagerServerOptions = {},
): Promise<SecretsManagerServer> {
  const host = options.host ?? '127.0.0.1';
  const file = options.file === undefined ? undefined : new SecretFile(options.file);
  const store = new SecretStore(file ? await file.load() : []);
  const server = createServer((request, response) => {
    handleRequest(store, file, request, response).catch(() => response.destroy());
  });
  await listen(server, options.port ?? 0, host);

  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    async close() {
      await closeServer(server);
      await file?.flush();
    },
  };
}
