import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runTool } from 'mcp-cluster/tools';
import tool from './tool.js';

describe('convert_temperature', () => {
  it('converts boiling water to Fahrenheit', async () => {
    assert.deepEqual(await runTool(tool, { value: 100, from: 'C', to: 'F' }), { value: 212, unit: 'F' });
  });
});
