import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { buildSnapshot } from '../../shared/registry/snapshot.js';
import { TOOL_PARTITION, type ToolManifest } from '../../shared/store/tool-manifests.js';
import { defineResource } from '../../shared/tools/define-resource.js';
import { defineTool } from '../../shared/tools/define-tool.js';

const tool = (name: string) =>
  defineTool({ name, description: `${name}.`, input: z.object({}), run: async () => name });

const manifest = (key: string, fields: Partial<ToolManifest> = {}): ToolManifest => ({
  PK: TOOL_PARTITION,
  SK: key,
  source: 'code',
  enabled: true,
  version: 1,
  ...fields,
});

const names = (json: string) => (JSON.parse(json) as { tools: { name: string }[] }).tools.map((t) => t.name);

describe('the registry snapshot, per tenant', () => {
  it('keeps the listings of two callers apart whatever their tenant and scope texts', () => {
    const snapshot = buildSnapshot(
      [tool('acme_only'), tool('everyone')],
      new Map([['acme_only', manifest('acme_only', { tenants: ['acme'], scopes: ['y'] })]]),
      Date.now(),
    );
    // An acme caller holding x and y lists first; a token's made-up tenant "acme x" with scope y must not share its list.
    assert.deepEqual(names(snapshot.listingFor({ tenant: 'acme', scopes: ['x', 'y'] })), ['acme_only', 'everyone']);
    assert.deepEqual(names(snapshot.listingFor({ tenant: 'acme x', scopes: ['y'] })), ['everyone']);
    assert.equal(snapshot.callable('acme_only', { tenant: 'acme x', scopes: ['y'] }), undefined);
  });

  it('passes over a template the caller may not read, to one it may', () => {
    const read = async () => 'x';
    const hidden = defineResource({ name: 'a_private', description: 'A.', uriTemplate: 'doc://{id}', read });
    const open = defineResource({ name: 'b_public', description: 'B.', uriTemplate: 'doc://{path}', read });
    const snapshot = buildSnapshot(
      [],
      new Map([['resource:a_private', manifest('resource:a_private', { tenants: ['acme'] })]]),
      Date.now(),
      new Map(),
      { resources: [hidden, open] },
    );
    assert.equal(snapshot.readable('doc://7', { tenant: 'acme', scopes: ['*'] })?.resource.name, 'a_private');
    assert.equal(snapshot.readable('doc://7', { tenant: 'globex', scopes: ['*'] })?.resource.name, 'b_public');
  });

  it('audits a tool restricted to other tenants as unknown for this one, and one it lacks scopes for as existing', () => {
    const snapshot = buildSnapshot(
      [tool('acme_only'), tool('admin_only')],
      new Map([
        ['acme_only', manifest('acme_only', { tenants: ['acme'] })],
        ['admin_only', manifest('admin_only', { scopes: ['admin'] })],
      ]),
      Date.now(),
    );
    assert.equal(snapshot.has('acme_only', 'acme'), true);
    assert.equal(snapshot.has('acme_only', 'globex'), false);
    assert.equal(snapshot.has('admin_only', 'globex'), true);
  });
});
