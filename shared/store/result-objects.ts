import type { HeadObjectCommandOutput, S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * Stored tool results in the results bucket: one object per result, under the prefix the MCP function is granted
 * (`results/*`, Get and Put only), keyed by the digest of the caller that made the call and an unguessable id:
 *
 * | object                      | body                  | metadata (`x-amz-meta-*`)                          |
 * |-----------------------------|-----------------------|----------------------------------------------------|
 * | `results/<owner>/<id>`      | the result, UTF-8     | `owner`, `expires-at` (epoch ms), `parts`, `part-bytes`, `tool` |
 *
 * A caller's reads name its own digest, so another caller's object is a key that does not exist for it. The bucket's
 * lifecycle rule deletes objects after whole days; `expires-at` is what is honoured to the second.
 */

export const RESULT_OBJECT_PREFIX = 'results/';

export interface ResultObject {
  body: string;
  mimeType: string;
  /** Epoch milliseconds after which the object is not served. */
  expiresAt: number;
  /** Parts a reader is served it in (1: whole). */
  parts: number;
  /** Bytes per part (every part but the last), when `parts` > 1. */
  partBytes: number;
  tool: string;
}

export interface StoredResultHead {
  owner: string;
  bytes: number;
  mimeType: string;
  expiresAt: number;
  parts: number;
  partBytes: number;
  tool: string;
}

export interface ResultObjectStore {
  put(owner: string, id: string, object: ResultObject): Promise<void>;
  /** What is stored under `owner`/`id`, or undefined when nothing is (or it is not this store's to read). */
  head(owner: string, id: string): Promise<StoredResultHead | undefined>;
  /** The bytes `[start, end)` of the object (all of it without a range), or undefined when nothing is stored. */
  read(owner: string, id: string, range?: { start: number; end: number }): Promise<Buffer | undefined>;
}

export interface ResultObjectStoreOptions {
  /**
   * A client, or (without one) the configuration of the client made on first use: the MCP function loads the S3
   * client only when a result is first stored or read, so a cold start that serves no large result never pays for it.
   */
  client?: S3Client;
  clientConfig?: S3ClientConfig;
  bucket: string;
}

const OWNER = /^[0-9a-f]{16,64}$/;
const ID = /^[A-Za-z0-9_-]{16,64}$/;

const keyOf = (owner: string, id: string) => {
  // Both parts are made by the platform; anything else never becomes a key.
  if (!OWNER.test(owner) || !ID.test(id)) throw new Error('invalid result object key');
  return `${RESULT_OBJECT_PREFIX}${owner}/${id}`;
};

/** A missing key answers 404, or 403 where the reader may not list the bucket (the deployed function may not). */
const isAbsent = (error: unknown) => {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const name = (error as Error | undefined)?.name;
  return status === 404 || status === 403 || name === 'NoSuchKey' || name === 'NotFound';
};

const intOf = (value: string | undefined) => (value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : NaN);

export function createResultObjectStore(options: ResultObjectStoreOptions): ResultObjectStore {
  let client: Promise<S3Client> | undefined;
  const getClient = () =>
    (client ??= options.client
      ? Promise.resolve(options.client)
      : import('@aws-sdk/client-s3').then(({ S3Client }) => new S3Client(options.clientConfig ?? {})));
  const sdk = () => Promise.all([getClient(), import('@aws-sdk/client-s3')]);
  const { bucket } = options;

  return {
    async put(owner, id, object) {
      const [s3, { PutObjectCommand }] = await sdk();
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: keyOf(owner, id),
          Body: Buffer.from(object.body, 'utf8'),
          ContentType: object.mimeType,
          Metadata: {
            owner,
            'expires-at': String(object.expiresAt),
            parts: String(object.parts),
            'part-bytes': String(object.partBytes),
            tool: object.tool,
          },
        }),
      );
    },

    async head(owner, id) {
      const [s3, { HeadObjectCommand }] = await sdk();
      let output: HeadObjectCommandOutput;
      try {
        output = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: keyOf(owner, id) }));
      } catch (error) {
        if (isAbsent(error)) return undefined;
        throw error;
      }
      const meta = output.Metadata ?? {};
      const head: StoredResultHead = {
        owner: meta.owner ?? '',
        bytes: output.ContentLength ?? 0,
        mimeType: output.ContentType ?? 'application/octet-stream',
        expiresAt: intOf(meta['expires-at']),
        parts: intOf(meta.parts),
        partBytes: intOf(meta['part-bytes']),
        tool: meta.tool ?? '',
      };
      // An object this store did not write (or wrote otherwise) is not served.
      if (!Number.isFinite(head.expiresAt) || !(head.parts >= 1) || !Number.isFinite(head.partBytes)) return undefined;
      return head;
    },

    async read(owner, id, range) {
      const [s3, { GetObjectCommand }] = await sdk();
      try {
        const output = await s3.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: keyOf(owner, id),
            ...(range ? { Range: `bytes=${range.start}-${Math.max(range.start, range.end - 1)}` } : {}),
          }),
        );
        return Buffer.from((await output.Body?.transformToByteArray()) ?? []);
      } catch (error) {
        if (isAbsent(error)) return undefined;
        throw error;
      }
    },
  };
}
