import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { type LocalS3, startS3 } from '../../infra/local/s3.js';
import type { Principal } from '../../shared/auth/principal.js';
import { createLogger } from '../../shared/logging/logger.js';
import { ownerOf } from '../../shared/mcp/linked-results.js';
import { createResultLinks, RESULT_LINK_META_KEY, type ResultLinker } from '../../shared/mcp/result-links.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const BUCKET = 'results-test';
const principal = (agentId: string, tenant = 'acme'): Principal => ({
  agentId,
  tenant,
  scopes: ['*'],
  method: 'api-key',
  credentialId: `key-${agentId}`,
});
const alice = principal('alice');
const logger = createLogger({ level: 'silent' });
const call = (who: Principal, tool = 'report') => ({ tool, principal: who, structured: false, logger });
const textOf = (read: { contents: Record<string, unknown>[] } | undefined) => read?.contents[0]?.text as string;

/** A report of about `bytes` bytes, with multi-byte characters throughout. */
const report = (bytes: number) => {
  const lines: string[] = [];
  for (let n = 0, size = 0; size < bytes; n++) {
    const line = `${n}: café ✓ 𝄞 ${'z'.repeat(n % 13)}`;
    lines.push(line);
    size += Buffer.byteLength(line) + 1;
  }
  return lines.join('\n');
};

describe('large results as resource links, stored in a real S3 (s3rver)', () => {
  let dir: string;
  let s3: LocalS3;
  let client: S3Client;
  let now = Date.now();
  const links = (options: { maxResultBytes?: number; thresholdBytes?: number } = {}): ResultLinker =>
    createResultLinks({
      bucket: BUCKET,
      client,
      thresholdBytes: options.thresholdBytes ?? 1_024,
      ttlSeconds: 600,
      maxResultBytes: options.maxResultBytes ?? 5_000_000,
      now: () => now,
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-cluster-s3-'));
    s3 = await startS3({
      directory: dir,
      buckets: [BUCKET],
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  after(async () => {
    client?.destroy();
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a large result under its caller and reads it back whole, to that caller only', async () => {
    const linker = links();
    const text = report(200_000);
    const offloaded = await linker.offload({ content: [{ type: 'text', text }] }, call(alice));
    assert.ok(offloaded);
    const { uri, bytes } = offloaded.linked;
    assert.equal(bytes, Buffer.byteLength(text));
    assert.equal(linker.owns(uri), true);

    const read = await linker.read(uri, alice);
    assert.deepEqual(read, { contents: [{ uri, mimeType: 'text/plain', text }] });

    // Another agent of the tenant, the same agent id in another tenant: for them it does not exist.
    assert.equal(await linker.read(uri, principal('bob')), undefined);
    assert.equal(await linker.read(uri, principal('alice', 'other')), undefined);

    // The object is under the caller's digest, with its expiry and nothing of the caller in clear.
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `results/${ownerOf(alice)}/` }),
    );
    assert.equal(listed.Contents?.length, 1);
    assert.doesNotMatch(listed.Contents?.[0]?.Key ?? '', /alice|acme/);
  });

  it('refuses a forged, malformed or unknown URI the same way', async () => {
    const linker = links();
    for (const uri of [
      'mcp-cluster://results/AAAAAAAAAAAAAAAAAAAAAA',
      'mcp-cluster://results/../../etc/passwd',
      'mcp-cluster://results/AAAAAAAAAAAAAAAAAAAAAA?part=3',
      'file:///etc/passwd',
    ]) {
      assert.equal(await linker.read(uri, alice), undefined, uri);
    }
  });

  it('refuses a result once its time has passed', async () => {
    const linker = links();
    const offloaded = await linker.offload({ content: [{ type: 'text', text: report(5_000) }] }, call(alice));
    assert.ok(offloaded);
    assert.ok(await linker.read(offloaded.linked.uri, alice));
    const saved = now;
    now += 601_000;
    try {
      assert.equal(await linker.read(offloaded.linked.uri, alice), undefined);
    } finally {
      now = saved;
    }
  });

  it('serves an object it did not write as unknown', async () => {
    const linker = links();
    const id = 'BBBBBBBBBBBBBBBBBBBBBB';
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `results/${ownerOf(alice)}/${id}`, Body: 'planted' }),
    );
    assert.equal(await linker.read(`mcp-cluster://results/${id}`, alice), undefined);
  });

  it('reads a result too large for one answer in parts, each naming the next, that join to the whole', async () => {
    // A 65 KB answer limit makes parts of (65,536 - 16,384) / 7 = 7,021 bytes.
    const linker = links({ maxResultBytes: 65_536 });
    const text = report(60_000);
    const offloaded = await linker.offload(
      {
        content: [
          { type: 'text', text },
          { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
        ],
      },
      call(alice),
    );
    assert.ok(offloaded);
    const meta = offloaded.result._meta?.[RESULT_LINK_META_KEY] as { parts: number };
    assert.equal(meta.parts, Math.ceil(Buffer.byteLength(text) / 7_021));
    // The image stays in the answer, after the summary and the link.
    assert.deepEqual(
      offloaded.result.content.map((block) => block.type),
      ['text', 'resource_link', 'image'],
    );

    const texts: string[] = [];
    let uri: string | undefined = offloaded.linked.uri;
    let index = 0;
    while (uri) {
      const read = await linker.read(uri, alice);
      assert.ok(read, uri);
      const part = read._meta?.[RESULT_LINK_META_KEY] as { part: number; parts: number; next?: string };
      assert.equal(part.part, index);
      assert.equal(part.parts, meta.parts);
      const piece = textOf(read);
      assert.ok(Buffer.byteLength(piece) <= 7_021 + 3);
      assert.doesNotMatch(piece, /\ufffd/, 'no part splits a character');
      texts.push(piece);
      uri = part.next;
      index++;
    }
    assert.equal(index, meta.parts);
    assert.equal(texts.join(''), text);
    // Reading the link is reading its first part; past the last there is nothing.
    assert.equal(textOf(await linker.read(`${offloaded.linked.uri}?part=0`, alice)), texts[0]);
    assert.equal(await linker.read(`${offloaded.linked.uri}?part=${meta.parts}`, alice), undefined);
    assert.equal(await linker.read(`${offloaded.linked.uri}?part=1`, principal('bob')), undefined);
  });

  it('answers the result as it was when the store cannot be written', async () => {
    const broken = createResultLinks({
      bucket: 'no-such-bucket',
      client,
      thresholdBytes: 1_024,
      ttlSeconds: 600,
      maxResultBytes: 5_000_000,
    });
    const result: CallToolResult = { content: [{ type: 'text', text: report(5_000) }] };
    assert.equal(await broken.offload(result, call(alice)), undefined);
  });

  it('stores the text exactly as given (the caller scrubs it first) and labels JSON as JSON', async () => {
    const linker = links();
    const json = JSON.stringify({ rows: Array.from({ length: 200 }, (_, i) => ({ i, name: `row ${i}` })) });
    const offloaded = await linker.offload({ content: [{ type: 'text', text: json }] }, call(alice));
    assert.ok(offloaded);
    const id = offloaded.linked.uri.split('/').pop();
    const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `results/${ownerOf(alice)}/${id}` }));
    assert.equal(object.ContentType, 'application/json');
    assert.equal(await object.Body?.transformToString(), json);
  });
});
