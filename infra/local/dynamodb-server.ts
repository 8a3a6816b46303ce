import { startDynamoDb } from './dynamodb.js';

/**
 * The process `startDynamoDbProcess` forks: dynalite on loopback, its port reported over IPC. It closes the server
 * and exits when the parent closes the channel or goes away.
 */
if (!process.send) {
  console.error('dynamodb-server.ts is started by startDynamoDbProcess (needs an IPC channel)');
  process.exit(1);
}

const db = await startDynamoDb({
  ...(process.env.DYNAMODB_PATH ? { path: process.env.DYNAMODB_PATH } : {}),
  host: process.env.DYNAMODB_HOST || '127.0.0.1',
  ...(process.env.DYNAMODB_PORT ? { port: Number(process.env.DYNAMODB_PORT) } : {}),
});
process.on('disconnect', () => void db.close().finally(() => process.exit(0)));
process.send({ port: Number(new URL(db.endpoint).port) });
