import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { createApiKey } from '../../shared/auth/api-keys.js';
import { RESULT_LINK_META_KEY } from '../../shared/mcp/result-links.js';
import { awaitAuditRecords, connectClient, post, startTestCluster, type TestCluster } from '../helpers/cluster.js';

const FIXTURE_TOOLS = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/tools');
const MODERN = '2026-07-28';
const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
};

interface Link {
  type: 'resource_link';
  uri: string;
  name: string;
  mimeType?: string;
  size?: number;
}

const linkOf = (content: readonly { type: string }[]) =>
  content.find((block) => block.type === 'resource_link') as Link;

/** A v2 client that speaks 2026-07-28 only. */
async function modernClient(url: string, key: string): Promise<Client> {
  const client = new Client(
    { name: 'result-links-e2e', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: MODERN } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }),
  );
  return client;
}

describe('a large tool result, through the local cluster, as a resource link only its caller can read', () => {
  const since = new Date().toISOString();
  const canary = `canary-${randomUUID()}`;
  let cluster: TestCluster;
  let other: string;
  let s3: S3Client;

  before(async () => {
    cluster = await startTestCluster({ extraToolDirs: [FIXTURE_TOOLS] });
    await cluster.secretsManager.send(
      new CreateSecretCommand({ Name: `${cluster.secretsPrefix}result-canary`, SecretString: canary }),
    );
    const store = { client: cluster.dynamodb, tableName: cluster.tableName };
    other = (await createApiKey(store, { agentId: 'result-links-other', tenant: 'local', scopes: ['*'] })).key;
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: cluster.s3Endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  after(async () => {
    s3?.destroy();
    await cluster?.dispose();
  });

  it('legacy era: ~2 MB answers with a link the same key reads back whole, scrubbed, and another key cannot', async () => {
    const { client } = await connectClient(cluster.url, cluster.apiKey);
    const stranger = (await connectClient(cluster.url, other)).client;
    try {
      const result = await client.callTool({
        name: 'large_report',
        arguments: { kilobytes: 2_000, quoteSecret: true, withOwnLink: true },
      });
      const content = result.content as { type: string; text?: string }[];
      assert.deepEqual(
        content.map((block) => block.type),
        ['text', 'resource_link', 'resource_link'],
      );
      assert.ok(JSON.stringify(result).length < 5_000, 'the answer is a summary, not the report');
      const link = linkOf(content);
      assert.match(link.uri, /^mcp-cluster:\/\/results\/[A-Za-z0-9_-]{22}$/);
      assert.equal(link.mimeType, 'text/plain');
      assert.ok(link.size! > 1_900_000);
      // The tool's own link reaches the caller untouched.
      assert.deepEqual(content[2], {
        type: 'resource_link',
        uri: 'https://reports.example.com/r/42.pdf',
        name: 'report-42',
        mimeType: 'application/pdf',
        description: 'The same report as a PDF',
      });

      const read = await client.readResource({ uri: link.uri });
      const text = (read.contents[0] as { text: string }).text;
      assert.equal(Buffer.byteLength(text), link.size);
      assert.match(text, /^line 0000001: café ünïcode ✓ ok\n/);
      assert.ok(text.includes('[REDACTED]'));
      assert.ok(!text.includes(canary));

      await assert.rejects(stranger.readResource({ uri: link.uri }), (error: unknown) => {
        assert.ok(error instanceof McpError);
        assert.equal(error.code, -32002);
        assert.deepEqual(error.data, { uri: link.uri });
        return true;
      });

      const [record] = (
        await awaitAuditRecords(cluster, { agentId: 'local-dev', tool: 'large_report', since }, 1)
      ).filter((r) => r.resultLinked?.uri === link.uri);
      assert.deepEqual(record?.resultLinked, { uri: link.uri, bytes: link.size });
    } finally {
      await client.close();
      await stranger.close();
    }
  });

  it('2026-07-28 era: the same, through a client pinned to it', async () => {
    const client = await modernClient(cluster.url, cluster.apiKey);
    const stranger = await modernClient(cluster.url, other);
    try {
      const result = await client.callTool({ name: 'large_report', arguments: { kilobytes: 2_000 } });
      const link = linkOf(result.content);
      assert.ok(link.size! > 1_900_000);
      assert.deepEqual((result._meta?.[RESULT_LINK_META_KEY] as { parts?: number } | undefined)?.parts, 1);
      const read = await client.readResource({ uri: link.uri });
      assert.equal(Buffer.byteLength((read.contents[0] as { text: string }).text), link.size);

      await assert.rejects(stranger.readResource({ uri: link.uri }), (error: unknown) => {
        assert.ok(error instanceof ProtocolError);
        assert.equal(error.code, -32602);
        assert.deepEqual(error.data, { uri: link.uri });
        return true;
      });
    } finally {
      await client.close();
      await stranger.close();
    }
  });

  it('never lets a secret reach the stored object', async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: cluster.resultBucket, Prefix: 'results/' }));
    const keys = (listed.Contents ?? []).map((object) => object.Key!);
    assert.ok(keys.length >= 2);
    let redacted = 0;
    for (const Key of keys) {
      const body = await (
        await s3.send(new GetObjectCommand({ Bucket: cluster.resultBucket, Key }))
      ).Body!.transformToString();
      assert.ok(!body.includes(canary), Key);
      if (body.includes('[REDACTED]')) redacted++;
    }
    assert.ok(redacted >= 1, 'the report that quoted the secret was stored, scrubbed');
  });

  it('answers a forged or malformed URI as unknown in both eras, naming no bucket', async () => {
    for (const uri of ['mcp-cluster://results/AAAAAAAAAAAAAAAAAAAAAA', 'mcp-cluster://results/%2e%2e/x', 'nope']) {
      const legacy = await post(
        cluster.url,
        { jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri } },
        { authorization: `Bearer ${cluster.apiKey}`, 'mcp-protocol-version': '2025-11-25' },
      );
      const legacyBody = await legacy.text();
      const legacyError = JSON.parse(legacyBody).error;
      assert.equal(legacyError.code, -32002);
      assert.deepEqual(legacyError.data, { uri });
      assert.match(legacyError.message, /^Resource not found/);
      const modern = await post(
        cluster.url,
        {
          jsonrpc: '2.0',
          id: 2,
          method: 'resources/read',
          params: { uri, _meta: { [META.protocolVersion]: MODERN, [META.clientCapabilities]: {} } },
        },
        {
          authorization: `Bearer ${cluster.apiKey}`,
          'mcp-protocol-version': MODERN,
          'mcp-method': 'resources/read',
          'mcp-name': uri,
        },
      );
      const modernBody = await modern.text();
      const error = JSON.parse(modernBody).error;
      assert.equal(error.code, -32602);
      assert.deepEqual(error.data, { uri });
      for (const body of [legacyBody, modernBody])
        assert.doesNotMatch(body, new RegExp(`${cluster.resultBucket}|\\bat \\w`));
    }
  });
});
