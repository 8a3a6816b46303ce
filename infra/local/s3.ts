import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';
import AWSAccount from 's3rver/lib/models/account.js';

export interface LocalS3 {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * A local S3 (s3rver: the real S3 REST API, objects as files under `directory`) on loopback, with `buckets` created,
 * so the real `@aws-sdk/client-s3` is exercised as it is against S3. It checks SigV4 signatures, against the access
 * keys of its one account, to which `credentials` (the local cluster's) are added. It keeps no lifecycle rules: an expired result is
 * refused by its reader, as in AWS between its expiry and the bucket's lifecycle deleting it.
 */
export async function startS3(options: {
  directory: string;
  buckets: readonly string[];
  credentials: { accessKeyId: string; secretAccessKey: string };
  port?: number;
  host?: string;
}): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  const host = options.host ?? '127.0.0.1';
  AWSAccount.DUMMY_ACCOUNT.createKeyPair(options.credentials.accessKeyId, options.credentials.secretAccessKey);
  const server = new S3rver({
    port: options.port ?? 0,
    address: host,
    silent: true,
    directory: options.directory,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  return { endpoint: `http://${host}:${port}`, close: () => server.close() };
}
