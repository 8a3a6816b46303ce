import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { functionCode } from './synth.js';

/** The files a cold start of `index.mjs` reads: it and every chunk it imports statically, transitively. */
function staticallyLoaded(entry: string): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    const text = readFileSync(file, 'utf8');
    files.set(file, text);
    for (const match of text.matchAll(/(?:^|[;}\s])import\s*(?:[^'"();]*?from\s*)?["'](\.[^"']+)["']/g)) {
      visit(join(dirname(file), match[1]!));
    }
  };
  visit(entry);
  return files;
}

describe('the MCP function bundle', () => {
  it('loads the S3 client only on demand: a cold start reads none of it', async () => {
    const dir = (await functionCode()).mcp;
    const loaded = staticallyLoaded(join(dir, 'index.mjs'));
    const names = [...loaded.keys()].map((file) => relative(dir, file));
    assert.ok(!names.includes('chunks/client-s3.mjs'), names.join(', '));
    for (const [file, text] of loaded) {
      // What only S3 uses of the AWS SDK: its client and the REST-XML protocol.
      assert.doesNotMatch(text, /AwsRestXmlProtocol|S3ServiceException|"PutObject"/, relative(dir, file));
    }
    assert.ok(existsSync(join(dir, 'chunks/client-s3.mjs')), 'the S3 client is bundled beside the chunks');
  });
});
