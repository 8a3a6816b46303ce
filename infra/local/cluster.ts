import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createApiKey, createApiKeyVerifier } from '../../shared/auth/api-keys.js';
import { createLogger } from '../../shared/logging/logger.js';
import { REQUEST_STATE_SECRET } from '../../shared/mcp/input/state-keys.js';
import { type SyncResult, syncCodeManifests } from '../../shared/registry/sync.js';
import { DEFAULT_TENANT } from '../../shared/tenants/tenants.js';
import { loadCodeTools } from '../../shared/tools/load-tools.js';
import { bundleFunctions } from '../build/bundle.js';
import { ITEM_KINDS, itemModulesIn, TOOLS_DIR, toolModulesIn } from '../build/tool-index.js';
import { LocalAuditIngester } from './audit-ingester.js';
import { type DemoUpstreams, startDemoUpstreams } from './demo-upstreams.js';
import { ensureAuditTable, ensureRegistryTable, startDynamoDbProcess } from './dynamodb.js';
import { startFront, WorkerPool } from './front.js';
import { startS3 } from './s3.js';
import { startSecretsManagerServer } from './secrets-manager-server.js';

// Node 20 runs the local cluster and tests; Lambda runs Node 22. The SDK's notice about Node 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const LOCAL_TABLE_NAME = 'mcp-cluster-local-registry';
export const LOCAL_AUDIT_TABLE_NAME = 'mcp-cluster-local-audit';
export const LOCAL_SECRETS_PREFIX = 'mcp-cluster/local/';
export const LOCAL_RESULT_BUCKET = 'mcp-cluster-local-results';
/** Private ranges the local workers' HTTP tools may reach: loopback only. */
export const LOCAL_OUTBOUND_ALLOWED_CIDRS = '127.0.0.0/8,::1/128';
const LOCAL_REGION = 'us-east-1';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalClusterOptions {
  /** Port of the front (0 picks a free one). */
  port?: number;
  host?: string;
  /** Worker processes, each one "Lambda instance". */
  workers?: number;
  /** Where DynamoDB data, secrets, the bundle and dev.json live. */
  stateDir?: string;
  /** Extra environment for the workers (REGISTRY_TTL_MS, LOG_LEVEL, ...). */
  env?: Record<string, string>;
  /** Per-invocation deadline of a worker, like the function's timeout. */
  timeoutMs?: number;
  /** DNS servers (`ip:port`) the workers resolve HTTP tools' hosts with (OUTBOUND_DNS_SERVERS); the system's by default. */
  outboundDnsServers?: readonly string[];
  /** Worker log lines (JSON); dropped when not given. */
  onLog?: (line: string, worker: number) => void;
  /** Tool folders served besides functions/tools, such as the conformance fixture (test/conformance/tools). */
  extraToolDirs?: readonly string[];
  /** Resource and prompt folders served besides functions/resources and functions/prompts (the fixture's). */
  extraResourceDirs?: readonly string[];
  extraPromptDirs?: readonly string[];
  /**
   * Serve requests that carry no `Authorization` header as an agent of their own (`anonymous-local`, every scope):
   * for clients that cannot send a key, such as the official conformance suite. Loopback only, never deployed.
   */
  anonymousAccess?: boolean;
}

export interface LocalCluster {
  /** The MCP endpoint: `${baseUrl}/mcp`. */
  url: string;
  /** The admin API: `${baseUrl}/admin`. */
  adminUrl: string;
  baseUrl: string;
  /** The development API key: scope `*`, so every tool, destructive ones included. */
  apiKey: string;
  /** A second, narrow key (`narrowScopes`): what a real agent's key looks like. */
  narrowApiKey: string;
  narrowScopes: readonly string[];
  /** Tools served, by name (functions/tools and the extra folders). */
  toolNames: string[];
  /** Resources (URI or URI template) and prompts served, by name. */
  resourceNames: string[];
  promptNames: string[];
  /** Whether requests without a key are served (`anonymousAccess`). */
  anonymousAccess: boolean;
  tableName: string;
  auditTableName: string;
  secretsPrefix: string;
  dynamodbEndpoint: string;
  secretsManagerEndpoint: string;
  /** The local S3 (s3rver) and the bucket large tool results are stored in. */
  s3Endpoint: string;
  resultBucket: string;
  /** AWS clients pointed at the local DynamoDB and Secrets Manager, for scripts and tests. */
  dynamodb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
  sync: SyncResult;
  /** The loopback stand-ins of the example tools' APIs (what they received, for tests). */
  demoUpstreams: DemoUpstreams;
  workerPids: number[];
  /**
   * The process that serves the local DynamoDB now (dynalite runs on its own, as DynamoDB is a service of its own; a
   * process that dies is replaced, on the same port).
   */
  readonly dynamodbPid: number;
  /** Writes the audit lines received so far to the audit table (they are written every 50 ms anyway). */
  flushAudit(): Promise<void>;
  /** Audit lines not written yet (while the audit store is down they wait, in the state folder's spool). */
  auditWaiting(): number;
  stop(): Promise<void>;
}

/** What `.mcp-local/cluster.json` holds while the cluster runs: how the admin CLI reaches its services. */
export interface LocalClusterFile {
  url: string;
  /** The admin API (`mcp-cluster … --endpoint <url>` with a tenant admin key). */
  adminUrl: string;
  region: string;
  dynamodbEndpoint: string;
  secretsManagerEndpoint: string;
  registryTable: string;
  auditTable: string;
  secretsPrefix: string;
}

export const LOCAL_CLUSTER_FILE = 'cluster.json';

interface DevFile {
  url: string;
  apiKey: string;
  keyId?: string;
}

/**
 * The deployed architecture on one machine: a front that plays API Gateway, worker processes that play Lambda
 * execution environments running the bundled handler, dynalite for DynamoDB (in a process of its own, so its work
 * never stalls the front), a Secrets Manager endpoint, an S3 (s3rver) for large results, and loopback stand-ins
 * for the example tools' upstream APIs. State persists in `stateDir` across restarts.
 */
export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const stateDir = resolve(options.stateDir ?? '.mcp-local');
  mkdirSync(stateDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => undefined);
  };

  try {
    const extraToolDirs = options.extraToolDirs ?? [];
    const bundle = await bundleFunctions({
      outdir: join(stateDir, 'bundle'),
      minify: false,
      extraToolDirs,
      extraResourceDirs: options.extraResourceDirs,
      extraPromptDirs: options.extraPromptDirs,
    });
    const codeTools = [];
    for (const dir of [TOOLS_DIR, ...extraToolDirs]) codeTools.push(...loadCodeTools(await toolModulesIn(dir)));
    const codeResources = [];
    for (const dir of [ITEM_KINDS.resource.dir, ...(options.extraResourceDirs ?? [])]) {
      codeResources.push(...(await itemModulesIn('resource', dir)));
    }
    const codePrompts = [];
    for (const dir of [ITEM_KINDS.prompt.dir, ...(options.extraPromptDirs ?? [])]) {
      codePrompts.push(...(await itemModulesIn('prompt', dir)));
    }

    const dynamo = await startDynamoDbProcess({
      path: join(stateDir, 'dynamodb'),
      onRestart: ({ code, pid }) =>
        options.onLog?.(JSON.stringify({ level: 'warn', message: 'DynamoDB exited; started again', code, pid }), -1),
    });
    stops.push(dynamo.close);
    const secretsServer = await startSecretsManagerServer({ file: join(stateDir, 'secrets.json') });
    stops.push(secretsServer.close);
    const s3 = await startS3({
      directory: join(stateDir, 's3'),
      buckets: [LOCAL_RESULT_BUCKET],
      credentials: LOCAL_CREDENTIALS,
    });
    stops.push(s3.close);

    const awsConfig = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    const dynamodb = new DynamoDBClient({ ...awsConfig, endpoint: dynamo.endpoint });
    const secretsManager = new SecretsManagerClient({ ...awsConfig, endpoint: secretsServer.url });
    stops.push(async () => {
      dynamodb.destroy();
      secretsManager.destroy();
    });

    await ensureRegistryTable(dynamodb, LOCAL_TABLE_NAME);
    await ensureAuditTable(dynamodb, LOCAL_AUDIT_TABLE_NAME);
    const sync = await syncCodeManifests({ client: dynamodb, tableName: LOCAL_TABLE_NAME }, codeTools, new Date(), {
      resources: codeResources,
      prompts: codePrompts,
    });

    const demoKeys = await ensureDemoSecrets(secretsManager);
    await ensureRequestStateKey(secretsManager);
    const upstreams = await startDemoUpstreams({ apiKeys: demoKeys, host: '127.0.0.1' });
    stops.push(upstreams.close);
    await pointDemoSecretsAt(secretsManager, demoKeys, upstreams.url);

    // Audit lines reach the audit table the way they do when deployed: from the logs, off the request path, and they
    // wait in a spool (as in the deployed retry queue) while the audit store is down.
    const ingester = new LocalAuditIngester({
      client: dynamodb,
      tableName: LOCAL_AUDIT_TABLE_NAME,
      retentionDays: 90,
      spoolFile: join(stateDir, 'audit-spool.jsonl'),
      onError: (error) =>
        options.onLog?.(
          JSON.stringify({
            level: 'error',
            message: 'audit records could not be written; they wait and are retried',
            error: String(error),
          }),
          -1,
        ),
      onRecovered: (written) =>
        options.onLog?.(JSON.stringify({ level: 'info', message: 'audit records written after waiting', written }), -1),
    });
    const timeoutMs = options.timeoutMs ?? 25_000;
    const pool = new WorkerPool({
      size: Math.max(1, options.workers ?? 2),
      bundle: join(bundle.dirs.mcp, 'index.mjs'),
      timeoutMs,
      onLog: (line, worker) => {
        ingester.offer(line, worker);
        options.onLog?.(line, worker);
      },
    });
    stops.push(() => ingester.stop());
    stops.push(() => pool.stop());
    // The admin API runs as its own function when deployed: here, one worker of its own.
    const adminPool = new WorkerPool({
      size: 1,
      bundle: join(bundle.dirs.admin, 'index.mjs'),
      timeoutMs,
      onLog: (line, worker) => options.onLog?.(line, worker),
    });
    stops.push(() => adminPool.stop());

    // The front listens first: its address is the public base URL the workers advertise.
    const host = options.host ?? '127.0.0.1';
    // Created before the front starts, so that no anonymous request is ever refused for want of the key.
    const anonymousKey = options.anonymousAccess
      ? (
          await createApiKey(
            { client: dynamodb, tableName: LOCAL_TABLE_NAME },
            {
              agentId: 'anonymous-local',
              tenant: DEFAULT_TENANT,
              scopes: ['*'],
              description: 'requests without a key (local anonymous access)',
              expiresAt: new Date(Date.now() + 7 * 24 * 3600_000),
            },
          )
        ).key
      : undefined;
    const front = await startFront({ pool, adminPool, port: options.port ?? 3000, host, anonymousKey });
    stops.push(
      () =>
        new Promise<void>((done) => {
          front.server.close(() => done());
          front.server.closeAllConnections();
        }),
    );
    // A page served by the cluster's own origin may call it, under either loopback name; any other origin is refused.
    const ownOrigins = [front.url, front.url.replace('//127.0.0.1:', '//localhost:')];
    const configured = (options.env?.ALLOWED_ORIGINS ?? process.env.ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim());
    const allowedOrigins = [...new Set([...configured.filter(Boolean), ...ownOrigins])];
    const env = workerEnv({
      PUBLIC_BASE_URL: front.url,
      // HTTP tools may reach loopback upstreams on a laptop; other private ranges and metadata addresses stay refused.
      OUTBOUND_ALLOWED_CIDRS: LOCAL_OUTBOUND_ALLOWED_CIDRS,
      ...(options.outboundDnsServers?.length ? { OUTBOUND_DNS_SERVERS: options.outboundDnsServers.join(',') } : {}),
      ...options.env,
      ALLOWED_ORIGINS: allowedOrigins.join(','),
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsServer.url,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
    });
    await Promise.all([pool.start(env), adminPool.start(env)]);

    const url = `${front.url}/mcp`;
    const dev = await ensureDevKey(join(stateDir, 'dev.json'), dynamodb, url);
    const narrow = await ensureNarrowKey(join(stateDir, NARROW_KEY_FILE), dynamodb);
    const clusterFile: LocalClusterFile = {
      url,
      adminUrl: `${front.url}/admin`,
      region: LOCAL_REGION,
      dynamodbEndpoint: dynamo.endpoint,
      secretsManagerEndpoint: secretsServer.url,
      registryTable: LOCAL_TABLE_NAME,
      auditTable: LOCAL_AUDIT_TABLE_NAME,
      secretsPrefix: LOCAL_SECRETS_PREFIX,
    };
    writeFileSync(join(stateDir, LOCAL_CLUSTER_FILE), `${JSON.stringify(clusterFile, null, 2)}\n`, { mode: 0o600 });
    stops.push(async () => rmSync(join(stateDir, LOCAL_CLUSTER_FILE), { force: true }));

    return {
      url,
      adminUrl: `${front.url}/admin`,
      baseUrl: front.url,
      apiKey: dev.apiKey,
      narrowApiKey: narrow.apiKey,
      narrowScopes: NARROW_KEY_SCOPES,
      toolNames: codeTools.map((tool) => tool.name).sort(),
      resourceNames: codeResources
        .map((resource) => `${resource.name} (${resource.uri ?? resource.uriTemplate})`)
        .sort(),
      promptNames: codePrompts.map((prompt) => prompt.name).sort(),
      anonymousAccess: anonymousKey !== undefined,
      tableName: LOCAL_TABLE_NAME,
      auditTableName: LOCAL_AUDIT_TABLE_NAME,
      secretsPrefix: LOCAL_SECRETS_PREFIX,
      dynamodbEndpoint: dynamo.endpoint,
      secretsManagerEndpoint: secretsServer.url,
      s3Endpoint: s3.endpoint,
      resultBucket: LOCAL_RESULT_BUCKET,
      dynamodb,
      secretsManager,
      sync,
      demoUpstreams: upstreams,
      workerPids: pool.pids,
      get dynamodbPid() {
        return dynamo.pid ?? process.pid;
      },
      flushAudit: () => ingester.flush(),
      auditWaiting: () => ingester.waiting,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The workers' environment: what the CDK stack sets on the function, pointed at the local services. */
function workerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('AWS_')) delete env[name]; // never let a developer's real AWS profile leak into local runs
  }
  return {
    ...env,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // The functions run on Node 22 in Lambda; the SDK's notice about older Node versions is noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    REGISTRY_TABLE_NAME: LOCAL_TABLE_NAME,
    AUDIT_TABLE_NAME: LOCAL_AUDIT_TABLE_NAME,
    SECRETS_PREFIX: LOCAL_SECRETS_PREFIX,
    RESULT_BUCKET_NAME: LOCAL_RESULT_BUCKET,
    SERVER_NAME: 'mcp-cluster-local',
    ...extra,
  };
}

/** The key saved in `file`, if the file holds one the registry still accepts (not revoked, not expired). */
async function savedKey<K extends { apiKey: string }>(file: string, dynamodb: DynamoDBClient): Promise<K | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as K;
    const verifier = createApiKeyVerifier({
      client: dynamodb,
      tableName: LOCAL_TABLE_NAME,
      ttlMs: 0,
      logger: createLogger({ level: 'silent' }),
    });
    // Keys of earlier versions belonged to a tenant of their own; the local keys are the default tenant's now.
    const principal = await verifier.verify(saved.apiKey);
    return principal.tenant === DEFAULT_TENANT ? saved : undefined;
  } catch {
    return undefined;
  }
}

/** Reuses the key in dev.json while it is still valid in the registry; otherwise creates one. */
async function ensureDevKey(file: string, dynamodb: DynamoDBClient, url: string): Promise<DevFile> {
  const saved = await savedKey<DevFile>(file, dynamodb);
  let dev: DevFile | undefined = saved && { ...saved, url };
  if (!dev) {
    const created = await createApiKey(
      { client: dynamodb, tableName: LOCAL_TABLE_NAME },
      {
        agentId: 'local-dev',
        tenant: DEFAULT_TENANT,
        scopes: ['*'],
        description: 'development key of the local cluster',
      },
    );
    dev = { url, apiKey: created.key, keyId: created.keyId };
  }
  writeFileSync(file, `${JSON.stringify(dev, null, 2)}\n`, { mode: 0o600 });
  return dev;
}

/** The scopes of the narrow example key: the weather tool's, so it sees the tools that need no scope and that one. */
export const NARROW_KEY_SCOPES = ['weather:read'] as const;
const NARROW_KEY_FILE = 'narrow-key.json';

/** The narrow example key (agent `local-weather-bot`): kept while valid, made again otherwise. */
async function ensureNarrowKey(file: string, dynamodb: DynamoDBClient): Promise<{ apiKey: string; keyId: string }> {
  const kept = await savedKey<{ apiKey: string; keyId: string }>(file, dynamodb);
  if (kept) return kept;
  const created = await createApiKey(
    { client: dynamodb, tableName: LOCAL_TABLE_NAME },
    {
      agentId: 'local-weather-bot',
      tenant: DEFAULT_TENANT,
      scopes: [...NARROW_KEY_SCOPES],
      description: 'narrow example key of the local cluster',
    },
  );
  const saved = { apiKey: created.key, keyId: created.keyId };
  writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  return saved;
}

interface DemoSecret {
  apiKey: string;
  baseUrl?: string;
}

const DEMO_SECRETS = { weather: 'weather-api', directory: 'user-directory' } as const;

/** The example tools' credentials: kept across restarts, created on first start. */
async function ensureDemoSecrets(client: SecretsManagerClient): Promise<{ weather: string; directory: string }> {
  const keys = { weather: '', directory: '' };
  for (const [binding, name] of Object.entries(DEMO_SECRETS) as [keyof typeof DEMO_SECRETS, string][]) {
    const id = `${LOCAL_SECRETS_PREFIX}${name}`;
    try {
      const current = await client.send(new GetSecretValueCommand({ SecretId: id }));
      keys[binding] = (JSON.parse(current.SecretString ?? '{}') as DemoSecret).apiKey ?? '';
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    if (!keys[binding]) {
      keys[binding] = `demo_${randomBytes(16).toString('hex')}`;
      await client.send(new CreateSecretCommand({ Name: id, SecretString: JSON.stringify({ apiKey: keys[binding] }) }));
    }
  }
  return keys;
}

/**
 * The key that seals the `requestState` of tool calls waiting for the client's input: created on first start (as the
 * CDK stack generates it when deployed), kept across restarts so that states issued before a restart still open.
 */
async function ensureRequestStateKey(client: SecretsManagerClient): Promise<void> {
  const id = `${LOCAL_SECRETS_PREFIX}${REQUEST_STATE_SECRET}`;
  try {
    await client.send(new GetSecretValueCommand({ SecretId: id }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    const value = { signing: 'k1', k1: randomBytes(32).toString('base64url') };
    await client.send(new CreateSecretCommand({ Name: id, SecretString: JSON.stringify(value) }));
  }
}

/** Points the demo secrets at this run's loopback upstreams, unless someone pointed them elsewhere. */
async function pointDemoSecretsAt(
  client: SecretsManagerClient,
  keys: { weather: string; directory: string },
  url: string,
) {
  for (const [binding, name] of Object.entries(DEMO_SECRETS) as [keyof typeof DEMO_SECRETS, string][]) {
    const id = `${LOCAL_SECRETS_PREFIX}${name}`;
    const current = JSON.parse(
      (await client.send(new GetSecretValueCommand({ SecretId: id }))).SecretString ?? '{}',
    ) as DemoSecret;
    if (current.baseUrl && !current.baseUrl.startsWith('http://127.0.0.1:')) continue;
    const value: DemoSecret = { apiKey: keys[binding], baseUrl: `${url}/${binding}` };
    await client.send(new PutSecretValueCommand({ SecretId: id, SecretString: JSON.stringify(value) }));
  }
}
