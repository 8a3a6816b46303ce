import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SUPPORTED_PROTOCOL_VERSIONS as SDK_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../../shared/mcp/protocol-versions.js';

describe('protocol versions', () => {
  it("accepts exactly the MCP SDK's supported protocol versions", () => {
    assert.deepEqual([...SUPPORTED_PROTOCOL_VERSIONS], [...SDK_VERSIONS]);
  });
});
