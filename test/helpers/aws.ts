/**
 * Real AWS dependencies for unit and integration tests, on loopback: an in-memory DynamoDB (dynalite) and the local
 * Secrets Manager server, both on free ports, with real SDK clients pointed at them. Nothing here is a mock.
 *
 *   const aws = await startLocalAws();           // in before()
 *   const tableName = await aws.createTable();   // a fresh registry table under a random name
 *   await aws.stop();                            // in after()
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ensureRegistryTable, type LocalDynamoDb, startDynamoDb } from '../../infra/local/dynamodb.js';
import { type SecretsManagerServer, startSecretsManagerServer } from '../../infra/local/secrets-manager-server.js';
import { createLogger, type Logger, type LogLevel } from '../../shared/logging/logger.js';
import type { Redactor } from '../../shared/logging/redactor.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** For clients that must fail fast when their endpoint is down: one attempt, short timeouts. */
export const FAIL_FAST = {
  maxAttempts: 1,
  requestHandler: { connectionTimeout: 300, requestTimeout: 500 },
} as const;

export interface ClientOptions {
  /** One attempt and short timeouts (for clients whose endpoint a test takes down). */
  failFast?: boolean;
}

export function dynamoDbClient(endpoint: string, options: ClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    ...(options.failFast ? FAIL_FAST : { maxAttempts: 2 }),
  });
}

export function secretsManagerClient(endpoint: string, options: ClientOptions = {}): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    ...(options.failFast ? FAIL_FAST : { maxAttempts: 2 }),
  });
}

/** A loopback URL nothing listens on: the port was free a moment ago and has been released. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${address.port}`;
}

/** A registry table under a random name, created as the stack creates it. */
export async function createRegistryTable(client: DynamoDBClient): Promise<string> {
  const tableName = `registry-${randomUUID().slice(0, 8)}`;
  await ensureRegistryTable(client, tableName);
  return tableName;
}

export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  /** Stops dynalite; the client stays usable, and its requests now fail as they do when DynamoDB is unreachable. */
  stop(): Promise<void>;
  /** Stops dynalite if still running and destroys the client. */
  dispose(): Promise<void>;
}

/** A dynalite of its own, for a test that takes DynamoDB down part way through. */
export async function startLocalDynamo(options: ClientOptions = {}): Promise<LocalDynamo> {
  const db: LocalDynamoDb = await startDynamoDb({ port: 0 });
  const client = dynamoDbClient(db.endpoint, options);
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= db.close(); // node >= 19 also closes idle kept-alive connections
    return stopped;
  };
  return {
    endpoint: db.endpoint,
    client,
    stop,
    async dispose() {
      await stop();
      client.destroy();
    },
  };
}

export interface LocalSecrets {
  endpoint: string;
  client: SecretsManagerClient;
  /** Stops the server; the client stays usable, and its requests now fail. */
  stop(): Promise<void>;
  /** Stops the server if still running and destroys the client. */
  dispose(): Promise<void>;
}

/** A local Secrets Manager of its own, for a test that takes it down part way through. */
export async function startLocalSecrets(options: ClientOptions = {}): Promise<LocalSecrets> {
  const server: SecretsManagerServer = await startSecretsManagerServer({ port: 0 });
  const client = secretsManagerClient(server.url, options);
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= server.close();
    return stopped;
  };
  return {
    endpoint: server.url,
    client,
    stop,
    async dispose() {
      await stop();
      client.destroy();
    },
  };
}

export interface LocalAws {
  dynamoDbEndpoint: string;
  secretsManagerEndpoint: string;
  dynamodb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
  /** A fresh registry table under a random name. */
  createTable(): Promise<string>;
  /** Creates a secret with a string value. */
  putSecret(name: string, value: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts dynalite (in memory) and the local Secrets Manager server, both on free ports. */
export async function startLocalAws(): Promise<LocalAws> {
  const [db, secrets] = await Promise.all([startDynamoDb({ port: 0 }), startSecretsManagerServer({ port: 0 })]);
  const dynamodb = dynamoDbClient(db.endpoint);
  const secretsManager = secretsManagerClient(secrets.url);
  return {
    dynamoDbEndpoint: db.endpoint,
    secretsManagerEndpoint: secrets.url,
    dynamodb,
    secretsManager,
    createTable: () => createRegistryTable(dynamodb),
    async putSecret(name, value) {
      await secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    },
    async stop() {
      dynamodb.destroy();
      secretsManager.destroy();
      await Promise.all([db.close(), secrets.close()]);
    },
  };
}

export interface CapturedLogs {
  logger: Logger;
  /** Every line written, as written (after redaction). */
  lines: string[];
  /** The lines, parsed. */
  entries(): Record<string, unknown>[];
}

/** A real logger whose lines are kept in memory instead of going to stdout. */
export function captureLogs(options: { level?: LogLevel; redactor?: Redactor } = {}): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger({
    level: options.level ?? 'debug',
    write: (line) => lines.push(line),
    ...(options.redactor ? { redactor: options.redactor } : {}),
  });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

export const silentLogger: Logger = createLogger({ level: 'silent' });

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A clock tests move by hand. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let time = start;
  return {
    now: () => time,
    advance(ms) {
      time += ms;
    },
  };
}
