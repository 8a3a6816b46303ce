import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonRpcError } from '../../shared/mcp/json-rpc.js';
import { checkParamHeaders } from '../../shared/mcp/protocol/param-headers.js';
import { paramHeadersOf } from '../../shared/tools/param-headers.js';

const schema = {
  type: 'object',
  properties: {
    region: { type: 'string', 'x-mcp-header': 'Region' },
    limit: { type: 'integer', 'x-mcp-header': 'Limit' },
    dryRun: { type: 'boolean', 'x-mcp-header': 'Dry-Run' },
    target: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } },
  },
};
const { headers } = paramHeadersOf(schema);

function code(run: () => void): number | undefined {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof JsonRpcError);
    assert.equal(error.status, 400);
    return error.code;
  }
  return undefined;
}

describe('x-mcp-header parameters', () => {
  it('are found through properties alone, nested objects included', () => {
    assert.deepEqual(
      headers.map((h) => [h.path.join('.'), h.header, h.type]),
      [
        ['region', 'Mcp-Param-Region', 'string'],
        ['limit', 'Mcp-Param-Limit', 'integer'],
        ['dryRun', 'Mcp-Param-Dry-Run', 'boolean'],
        ['target.zone', 'Mcp-Param-Zone', 'string'],
      ],
    );
  });

  it('break the rules with a bad name, a number or object type, a duplicate, or under items, anyOf or $defs', () => {
    const { problems } = paramHeadersOf({
      type: 'object',
      properties: {
        a: { type: 'string', 'x-mcp-header': 'Bad Name' },
        b: { type: 'number', 'x-mcp-header': 'B' },
        c: { type: 'string', 'x-mcp-header': 'C' },
        d: { type: 'string', 'x-mcp-header': 'c' },
        e: { type: 'array', items: { type: 'string', 'x-mcp-header': 'E' } },
      },
      anyOf: [{ properties: { f: { type: 'string', 'x-mcp-header': 'F' } } }],
      $defs: { g: { type: 'string', 'x-mcp-header': 'G' } },
    });
    assert.equal(problems.length, 6, problems.join('\n'));
    assert.match(problems.join('\n'), /HTTP token/);
    assert.match(problems.join('\n'), /string, integer or boolean/);
    assert.match(problems.join('\n'), /used twice/);
    assert.match(problems.join('\n'), /reached through "properties" alone/);
  });

  it('must agree with the arguments: present and equal when the argument has a value', () => {
    const args = { region: 'us-west1', limit: 42, dryRun: false, target: { zone: 'b' } };
    const sent = {
      'mcp-param-region': 'us-west1',
      'mcp-param-limit': '42.0',
      'mcp-param-dry-run': 'false',
      'mcp-param-zone': 'b',
    };
    assert.equal(
      code(() => checkParamHeaders(headers, sent, args)),
      undefined,
    );
    assert.equal(
      code(() => checkParamHeaders(headers, { ...sent, 'mcp-param-region': 'eu' }, args)),
      -32020,
    );
    assert.equal(
      code(() => checkParamHeaders(headers, { ...sent, 'mcp-param-limit': '43' }, args)),
      -32020,
    );
    assert.equal(
      code(() => checkParamHeaders(headers, { ...sent, 'mcp-param-dry-run': 'False' }, args)),
      -32020,
    );
    const { 'mcp-param-zone': _zone, ...withoutZone } = sent;
    assert.equal(
      code(() => checkParamHeaders(headers, withoutZone, args)),
      -32020,
    );
  });

  it('are not expected when the argument is absent or null, and are decoded from =?base64?…?=', () => {
    assert.equal(
      code(() => checkParamHeaders(headers, {}, { region: null })),
      undefined,
    );
    const encoded = `=?base64?${Buffer.from('Hello, 世界').toString('base64')}?=`;
    assert.equal(
      code(() => checkParamHeaders(headers, { 'mcp-param-region': encoded }, { region: 'Hello, 世界' })),
      undefined,
    );
    assert.equal(
      code(() => checkParamHeaders(headers, { 'mcp-param-region': '=?base64?SGVsbG8?=' }, { region: 'Hello' })),
      -32020,
    );
    const literal = `=?base64?${Buffer.from('Hello').toString('base64')}`;
    assert.equal(
      code(() => checkParamHeaders(headers, { 'mcp-param-region': literal }, { region: literal })),
      undefined,
    );
  });
});
