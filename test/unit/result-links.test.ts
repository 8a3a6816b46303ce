import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/server';
import {
  countParts,
  linkedAnswer,
  mimeTypeOf,
  ownerOf,
  parseResultUri,
  partBytesFor,
  resultUri,
} from '../../shared/mcp/linked-results.js';
import { createResultLinks, RESULT_LINK_META_KEY, textExceeds } from '../../shared/mcp/result-links.js';

const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });
const ID = 'AAAAAAAAAAAAAAAAAAAAAA';

describe('large results as resource links: the decision', () => {
  it('links a result whose text is over the threshold in UTF-8 bytes, not in characters', () => {
    assert.equal(textExceeds(text('a'.repeat(1_000)), 1_000), false);
    assert.equal(textExceeds(text('a'.repeat(1_001)), 1_000), true);
    // 400 characters of 3 bytes each: 1,200 bytes.
    assert.equal(textExceeds(text('✓'.repeat(400)), 1_000), true);
  });

  it('counts text blocks only: an image does not make a result large', () => {
    const result: CallToolResult = {
      content: [
        { type: 'text', text: 'small' },
        { type: 'image', data: 'A'.repeat(100_000), mimeType: 'image/png' },
      ],
    };
    assert.equal(textExceeds(result, 1_000), false);
  });

  it('never links an error, a structured result or a tool with an output schema, and loads nothing for them', async () => {
    // No S3 could be reached here: a result that were stored would fail and come back undefined too, so each case
    // below is also checked to be decided before any store is tried (no client was ever made).
    let made = 0;
    const links = createResultLinks({
      bucket: 'b',
      clientConfig: {
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:9',
        credentials: () => {
          made++;
          return Promise.reject(new Error('no credentials in this test'));
        },
      },
      thresholdBytes: 1_024,
      ttlSeconds: 60,
      maxResultBytes: 5_000_000,
    });
    const call = {
      tool: 't',
      principal: { agentId: 'a', tenant: 't', scopes: [], method: 'api-key' as const, credentialId: 'k' },
      structured: false,
      logger: { warn() {} } as never,
    };
    const big = 'x'.repeat(10_000);
    assert.equal(await links.offload({ ...text(big), isError: true }, call), undefined);
    assert.equal(await links.offload({ ...text(big), structuredContent: { big } }, call), undefined);
    assert.equal(await links.offload(text(big), { ...call, structured: true }), undefined);
    assert.equal(await links.offload(text('small'), call), undefined);
    assert.equal(made, 0);
  });
});

describe('large results as resource links: URIs and owners', () => {
  it('reads its own URIs, whole and by part', () => {
    assert.deepEqual(parseResultUri(resultUri(ID)), { id: ID });
    assert.deepEqual(parseResultUri(resultUri(ID, 0)), { id: ID, part: 0 });
    assert.deepEqual(parseResultUri(`${resultUri(ID)}?part=12`), { id: ID, part: 12 });
  });

  it('refuses anything else: other schemes, short or long ids, odd parts, paths, extra parameters', () => {
    for (const uri of [
      `https://results/${ID}`,
      'mcp-cluster://results/short',
      `mcp-cluster://results/${ID}A`,
      `mcp-cluster://results/${ID}?part=01`,
      `mcp-cluster://results/${ID}?part=-1`,
      `mcp-cluster://results/${ID}?part=1&x=2`,
      `mcp-cluster://results/../${ID}`,
      `mcp-cluster://results/${ID}/`,
      `MCP-CLUSTER://results/${ID}`,
      `mcp-cluster://results/${'A'.repeat(200)}`,
      '',
    ]) {
      assert.equal(parseResultUri(uri), undefined, uri);
    }
  });

  it('gives every tenant and agent an owner of its own, unambiguously', () => {
    const a = ownerOf({ tenant: 'acme', agentId: 'bot' });
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.equal(ownerOf({ tenant: 'acme', agentId: 'bot' }), a);
    assert.notEqual(ownerOf({ tenant: 'other', agentId: 'bot' }), a);
    assert.notEqual(ownerOf({ tenant: 'acme', agentId: 'bot2' }), a);
    // No joining of the two fields may make two callers one.
    assert.notEqual(ownerOf({ tenant: 'a', agentId: 'b:c' }), ownerOf({ tenant: 'a:b', agentId: 'c' }));
  });
});

describe('large results as resource links: what the caller sees', () => {
  it('answers with a summary, the link and the blocks that were not stored, and notes the link in _meta', () => {
    const result: CallToolResult = {
      content: [
        { type: 'text', text: 'report…' },
        { type: 'resource_link', uri: 'https://example.com/r.pdf', name: 'r.pdf' },
      ],
      _meta: { kept: true },
    };
    const expiresAt = Date.parse('2030-01-01T00:00:00Z');
    const body = `line 1\n${'x'.repeat(2_000)}`;
    const answer = linkedAnswer(
      result,
      { tool: 'report', uri: resultUri(ID), bytes: 2_100_000, mimeType: 'text/plain', expiresAt, parts: 1 },
      body,
    );
    const [summary, link, own] = answer.content;
    assert.equal(summary?.type, 'text');
    assert.match(
      (summary as { text: string }).text,
      /^The result of report is 2\.1 MB of text\/plain, too large to show here, so it was stored: read it with resources\/read at mcp-cluster:\/\/results\/A{22} \(only you can, until 2030-01-01T00:00:00\.000Z\)\.\nIt begins:\nline 1\nx+…$/,
    );
    assert.ok((summary as { text: string }).text.length < 800);
    assert.deepEqual(link, {
      type: 'resource_link',
      uri: resultUri(ID),
      name: 'report-result',
      title: 'Result of report',
      mimeType: 'text/plain',
      size: 2_100_000,
      description:
        'The whole result of report, readable by the caller that made the call until 2030-01-01T00:00:00.000Z.',
    });
    // A resource link the tool returned itself reaches the caller untouched.
    assert.deepEqual(own, result.content[1]);
    assert.deepEqual(answer._meta, {
      kept: true,
      [RESULT_LINK_META_KEY]: {
        uri: resultUri(ID),
        bytes: 2_100_000,
        mimeType: 'text/plain',
        expiresAt: '2030-01-01T00:00:00.000Z',
        parts: 1,
      },
    });
  });

  it('says how to read a result that comes in parts', () => {
    const answer = linkedAnswer(
      text('x'),
      { tool: 'dump', uri: resultUri(ID), bytes: 9_000_000, mimeType: 'text/plain', expiresAt: 0, parts: 13 },
      'x',
    );
    assert.match(
      (answer.content[0] as { text: string }).text,
      /It is read in 13 parts: mcp-cluster:\/\/results\/A{22} is the first, and each names the next in _meta\["mcp-cluster\/result-link"\]\.next \(…\?part=1 to …\?part=12\)\./,
    );
  });

  it('calls one JSON text block application/json, anything else text/plain', () => {
    assert.equal(mimeTypeOf(['{"a": [1, 2]}']), 'application/json');
    assert.equal(mimeTypeOf([' [1]']), 'application/json');
    assert.equal(mimeTypeOf(['{not json']), 'text/plain');
    assert.equal(mimeTypeOf(['{}', '{}']), 'text/plain');
    assert.equal(mimeTypeOf(['plain']), 'text/plain');
  });
});

describe('large results as resource links: parts', () => {
  it('sizes parts so that any text of that many bytes fits an answer', () => {
    assert.equal(partBytesFor(5_000_000), Math.floor((5_000_000 - 16_384) / 7));
    assert.ok(partBytesFor(5_000_000) * 7 + 16_384 <= 5_000_000);
  });

  it('counts parts on character boundaries: a part never begins inside a character', () => {
    assert.equal(countParts(Buffer.from('a'.repeat(10)), 5), 2);
    assert.equal(countParts(Buffer.from('a'.repeat(11)), 5), 3);
    // 'aaaa✓' is 7 bytes; the byte at 5 is inside ✓, so the second part would begin at 7: the end, no second part.
    assert.equal(countParts(Buffer.from('aaaa✓'), 5), 1);
    assert.equal(countParts(Buffer.from('aaaa✓b'), 5), 2);
  });
});
