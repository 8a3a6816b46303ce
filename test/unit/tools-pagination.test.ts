import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { buildSnapshot } from '../../shared/registry/snapshot.js';
import type { ToolManifest } from '../../shared/store/tool-manifests.js';
import { defineTool } from '../../shared/tools/define-tool.js';

const tool = (name: string, scopes: string[] = []) =>
  defineTool({ name, description: `The ${name} tool.`, input: z.object({}), scopes, run: async () => 'ok' });

/** 25 tools named t00..t24, every third one needing the `x` scope, declared out of order. */
const tools = Array.from({ length: 25 }, (_, i) =>
  tool(`t${String(i).padStart(2, '0')}`, i % 3 === 0 ? ['x'] : []),
).reverse();

type Page = { tools: { name: string }[]; nextCursor?: string };

function allPages(snapshot: ReturnType<typeof buildSnapshot>, scopes: string[], pageSize: number): Page[] {
  const pages: Page[] = [];
  let cursor: string | undefined;
  do {
    const text = snapshot.listingFor({ scopes }, { pageSize, ...(cursor ? { cursor } : {}) });
    assert.ok(text, 'a cursor the server issued is accepted');
    const page = JSON.parse(text) as Page;
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor);
  return pages;
}

describe('tools/list pages', () => {
  const snapshot = buildSnapshot(tools, new Map<string, ToolManifest>(), Date.now());

  it('lists every visible tool once, in name order, in pages of at most pageSize', () => {
    const pages = allPages(snapshot, ['*'], 10);
    assert.deepEqual(
      pages.map((p) => p.tools.length),
      [10, 10, 5],
    );
    const names = pages.flatMap((p) => p.tools.map((t) => t.name));
    assert.deepEqual(names, [...names].sort());
    assert.equal(new Set(names).size, 25);
    assert.equal(pages.at(-1)?.nextCursor, undefined, 'the last page has no cursor');
  });

  it('pages only what the scopes allow', () => {
    const names = allPages(snapshot, [], 4).flatMap((p) => p.tools.map((t) => t.name));
    assert.equal(names.length, 16);
    assert.ok(names.every((name) => Number(name.slice(1)) % 3 !== 0));
  });

  it('answers a registry that fits in one page without a cursor', () => {
    const page = JSON.parse(snapshot.listingFor({ scopes: ['*'] })) as Page;
    assert.equal(page.tools.length, 25);
    assert.equal(page.nextCursor, undefined);
  });

  it('continues after the last tool of the previous page even when the registry changed in between', () => {
    const first = JSON.parse(snapshot.listingFor({ scopes: ['*'] }, { pageSize: 10 })!) as Page;
    const without = buildSnapshot(
      tools.filter((t) => t.name !== 't05'),
      new Map(),
      Date.now(),
    );
    const second = JSON.parse(
      without.listingFor({ scopes: ['*'] }, { pageSize: 10, cursor: first.nextCursor! })!,
    ) as Page;
    assert.equal(second.tools[0]?.name, 't10', 'no tool is skipped or repeated');
  });

  it('refuses a cursor it did not issue', () => {
    assert.equal(snapshot.listingFor({ scopes: ['*'] }, { cursor: 'not a cursor!' }), undefined);
    assert.equal(
      snapshot.listingFor({ scopes: ['*'] }, { cursor: Buffer.from('t03').toString('base64url') }),
      undefined,
    );
  });
});
