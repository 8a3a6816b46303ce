import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SUPPORTED_PROTOCOL_VERSIONS as V2_LEGACY_VERSIONS } from '@modelcontextprotocol/client';
import { SUPPORTED_PROTOCOL_VERSIONS as V1_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import {
  allowsBatches,
  LEGACY_PROTOCOL_VERSIONS,
  MODERN_PROTOCOL_VERSIONS,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '../../shared/mcp/protocol/versions.js';

describe('protocol versions', () => {
  it('negotiates in initialize exactly the versions the MCP SDKs (1.x and v2) negotiate', () => {
    assert.deepEqual([...LEGACY_PROTOCOL_VERSIONS], [...V1_VERSIONS]);
    assert.deepEqual([...LEGACY_PROTOCOL_VERSIONS], [...V2_LEGACY_VERSIONS]);
  });

  it('serves 2026-07-28 as the modern era and lists it first', () => {
    assert.deepEqual([...MODERN_PROTOCOL_VERSIONS], ['2026-07-28']);
    assert.equal(SUPPORTED_PROTOCOL_VERSIONS[0], '2026-07-28');
    assert.deepEqual(SUPPORTED_PROTOCOL_VERSIONS.slice(1), [...LEGACY_PROTOCOL_VERSIONS]);
  });

  it('allows batches only before 2025-06-18, or from clients older than the version header', () => {
    assert.equal(allowsBatches(undefined), true);
    assert.equal(allowsBatches('2025-03-26'), true);
    assert.equal(allowsBatches('2025-06-18'), false);
    assert.equal(allowsBatches('2025-11-25'), false);
  });
});
