import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { AUDIT_TABLE, REGISTRY_TABLE } from '../../shared/store/table-schemas.js';
import { ensureTable } from '../../shared/store/tables.js';
import { stopChild } from './child-process.js';

export interface LocalDynamoDb {
  endpoint: string;
  /** The process serving it, when it has one of its own (`startDynamoDbProcess`). */
  pid?: number;
  close(): Promise<void>;
}

/** An embedded DynamoDB (dynalite) on loopback; persisted under `path`, in memory without it. */
export async function startDynamoDb(
  options: { path?: string; port?: number; host?: string } = {},
): Promise<LocalDynamoDb> {
  if (options.path) mkdirSync(options.path, { recursive: true });
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const SERVER_FILE = join(dirname(fileURLToPath(import.meta.url)), 'dynamodb-server.ts');

/**
 * dynalite in a process of its own, as DynamoDB is a service of its own: its work (request validation, LevelDB) then
 * never stalls the caller's event loop. The local cluster runs it so, beside the front and the workers. The process
 * exits with its parent. If it dies, it is started again on the same port and data (as DynamoDB comes back after an
 * outage), after a pause that doubles on each quick failure; `onRestart` hears of each.
 */
export async function startDynamoDbProcess(
  options: { path?: string; host?: string; onRestart?: (event: { code: number | null; pid?: number }) => void } = {},
): Promise<LocalDynamoDb> {
  const host = options.host ?? '127.0.0.1';
  let stopping = false;
  let child: ChildProcess;
  const spawnServer = (port?: number) => {
    const started = fork(SERVER_FILE, [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        DYNAMODB_PATH: options.path ?? '',
        DYNAMODB_HOST: host,
        DYNAMODB_PORT: port === undefined ? '' : String(port),
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    started.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4_000);
    });
    const ready = new Promise<number>((resolve, reject) => {
      started.once('message', (message: { port?: number }) =>
        message.port ? resolve(message.port) : reject(new Error('dynalite did not report its port')),
      );
      started.once('exit', (code) =>
        reject(new Error(`dynalite exited during start (code ${code}): ${stderr.trim()}`)),
      );
    });
    return { started, ready };
  };
  const first = spawnServer();
  child = first.started;
  const port = await first.ready;
  let pauseMs = 200;
  const watch = (running: ChildProcess) => {
    const since = Date.now();
    running.once('exit', (code) => {
      if (stopping) return;
      pauseMs = Date.now() - since > 10_000 ? 200 : Math.min(pauseMs * 2, 5_000);
      setTimeout(() => {
        if (stopping) return;
        const next = spawnServer(port);
        child = next.started;
        watch(child);
        next.ready.then(
          () => options.onRestart?.({ code, pid: next.started.pid }),
          () => undefined, // its exit is watched: it is tried again
        );
      }, pauseMs).unref();
    });
  };
  watch(child);
  return {
    endpoint: `http://${host}:${port}`,
    get pid() {
      return child.pid;
    },
    // Closing the channel asks it to close the server (LevelDB flushes) and exit.
    close: () => {
      stopping = true;
      return stopChild(child, (running) => running.disconnect(), 5_000);
    },
  };
}

/** Creates the audit table from the schema the CDK stack builds it from, unless it exists. */
export function ensureAuditTable(client: DynamoDBClient, tableName: string): Promise<void> {
  return ensureTable(client, tableName, AUDIT_TABLE);
}

/** Creates the registry table from the schema the CDK stack builds it from, unless it exists. */
export function ensureRegistryTable(client: DynamoDBClient, tableName: string): Promise<void> {
  return ensureTable(client, tableName, REGISTRY_TABLE);
}
