import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonRpcError, type JsonRpcRequest } from '../../shared/mcp/json-rpc.js';
import { resolveProtocol } from '../../shared/mcp/protocol/era.js';
import { frameResult } from '../../shared/mcp/protocol/framing.js';
import { META, missingCapabilities } from '../../shared/mcp/protocol/request-meta.js';
import { checkRoutingHeaders, decodeHeaderValue } from '../../shared/mcp/protocol/routing-headers.js';

const modernMeta = (overrides: Record<string, unknown> = {}) => ({
  [META.protocolVersion]: '2026-07-28',
  [META.clientCapabilities]: {},
  ...overrides,
});

function request(method: string, params?: Record<string, unknown>): JsonRpcRequest {
  return { jsonrpc: '2.0', id: 7, method, ...(params ? { params } : {}) };
}

const modernHeaders = (method: string, extra: Record<string, string> = {}) => ({
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': method,
  ...extra,
});

/** The JSON-RPC error `run` throws, for asserting on its name, status and data. */
function refusal(run: () => unknown): JsonRpcError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof JsonRpcError, `a JsonRpcError, not ${String(error)}`);
    return error;
  }
  assert.fail('expected a refusal');
}

describe('the era of a request', () => {
  it('is legacy for initialize and for requests naming a legacy version in the header', () => {
    assert.deepEqual(resolveProtocol({}, request('initialize', { protocolVersion: '2025-11-25' })), { era: 'legacy' });
    assert.deepEqual(resolveProtocol({ 'mcp-protocol-version': '2025-06-18' }, request('tools/list')), {
      era: 'legacy',
      version: '2025-06-18',
    });
  });

  it('stays legacy when a legacy request carries _meta (a progress token) and routing headers', () => {
    const protocol = resolveProtocol(
      { 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'tools/call', 'mcp-name': 'x' },
      request('tools/call', { name: 'x', _meta: { progressToken: 1 } }),
    );
    assert.equal(protocol.era, 'legacy');
  });

  it('is modern for a request with _meta and matching headers, and reads its capabilities and log level', () => {
    const protocol = resolveProtocol(
      modernHeaders('tools/list'),
      request('tools/list', {
        _meta: modernMeta({ [META.logLevel]: 'warning', [META.clientCapabilities]: { sampling: {} } }),
      }),
    );
    assert.equal(protocol.era, 'modern');
    assert.deepEqual(protocol.era === 'modern' && protocol.meta, {
      protocolVersion: '2026-07-28',
      clientCapabilities: { sampling: {} },
      logLevel: 'warning',
    });
  });

  it('answers -32602 (HTTP 400) for missing _meta, a missing version or missing capabilities, before comparing versions', () => {
    for (const params of [
      {},
      { _meta: { [META.clientCapabilities]: {} } },
      { _meta: { [META.protocolVersion]: '2026-07-28' } },
      { _meta: modernMeta({ [META.clientCapabilities]: [] }) },
      { _meta: modernMeta({ [META.logLevel]: 'loud' }) },
    ]) {
      const error = refusal(() =>
        resolveProtocol(modernHeaders('server/discover'), request('server/discover', params)),
      );
      assert.equal(error.code, -32602, JSON.stringify(params));
      assert.equal(error.status, 400);
    }
  });

  it('does not need clientInfo', () => {
    const protocol = resolveProtocol(
      modernHeaders('server/discover'),
      request('server/discover', { _meta: modernMeta() }),
    );
    assert.equal(protocol.era, 'modern');
  });

  it('answers -32020 when MCP-Protocol-Version is missing or differs from _meta, even for an unknown version', () => {
    const missing = refusal(() =>
      resolveProtocol({ 'mcp-method': 'tools/list' }, request('tools/list', { _meta: modernMeta() })),
    );
    assert.equal(missing.code, -32020);
    const differs = refusal(() =>
      resolveProtocol(
        modernHeaders('tools/list'),
        request('tools/list', { _meta: modernMeta({ [META.protocolVersion]: 'v999.0.0' }) }),
      ),
    );
    assert.equal(differs.code, -32020);
    assert.equal(differs.status, 400);
  });

  it('answers -32022 with every supported version and the one requested', () => {
    const error = refusal(() =>
      resolveProtocol(
        { 'mcp-protocol-version': 'v999.0.0', 'mcp-method': 'tools/list' },
        request('tools/list', { _meta: modernMeta({ [META.protocolVersion]: 'v999.0.0' }) }),
      ),
    );
    assert.equal(error.code, -32022);
    assert.equal(error.status, 400);
    assert.deepEqual(error.data, {
      supported: ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'],
      requested: 'v999.0.0',
    });
  });

  it('answers -32022 for an unknown header version with nothing claimed in the body', () => {
    const error = refusal(() => resolveProtocol({ 'mcp-protocol-version': '1900-01-01' }, request('tools/list')));
    assert.equal(error.code, -32022);
    assert.equal((error.data as { requested: string }).requested, '1900-01-01');
  });
});

describe('routing headers', () => {
  it('need Mcp-Method equal to the method, case-sensitively', () => {
    assert.equal(refusal(() => checkRoutingHeaders({}, request('tools/list'))).code, -32020);
    assert.equal(
      refusal(() => checkRoutingHeaders({ 'mcp-method': 'TOOLS/LIST' }, request('tools/list'))).code,
      -32020,
    );
    assert.equal(
      refusal(() => checkRoutingHeaders({ 'mcp-method': 'prompts/list' }, request('tools/list'))).code,
      -32020,
    );
    checkRoutingHeaders({ 'mcp-method': ' tools/list ' }, request('tools/list'));
  });

  it('need Mcp-Name equal to the tool name, decoding =?base64?…?= values', () => {
    const call = request('tools/call', { name: 'get_weather' });
    assert.equal(refusal(() => checkRoutingHeaders({ 'mcp-method': 'tools/call' }, call)).code, -32020);
    assert.equal(
      refusal(() => checkRoutingHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 'wrong_tool' }, call)).code,
      -32020,
    );
    checkRoutingHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 'get_weather' }, call);
    checkRoutingHeaders({ 'mcp-method': 'tools/call', 'mcp-name': '  get_weather  ' }, call);
    const encoded = `=?base64?${Buffer.from('get_weather').toString('base64')}?=`;
    checkRoutingHeaders({ 'mcp-method': 'tools/call', 'mcp-name': encoded }, call);
  });

  it('compare Mcp-Name with the uri of resources/read', () => {
    const read = request('resources/read', { uri: 'file:///a b.txt' });
    const encoded = `=?base64?${Buffer.from('file:///a b.txt').toString('base64')}?=`;
    checkRoutingHeaders({ 'mcp-method': 'resources/read', 'mcp-name': encoded }, read);
  });

  it('decode non-ASCII names and refuse bad base64 and control characters', () => {
    assert.equal(decodeHeaderValue('Mcp-Name', '=?base64?SGVsbG8sIOS4lueVjA==?='), 'Hello, 世界');
    assert.equal(decodeHeaderValue('Mcp-Name', '=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?='), '=?base64?literal?=');
    assert.equal(refusal(() => decodeHeaderValue('Mcp-Name', '=?base64?SGVsbG8?=')).code, -32020);
    assert.equal(refusal(() => decodeHeaderValue('Mcp-Name', '=?base64?!!!!?=')).code, -32020);
    assert.equal(refusal(() => decodeHeaderValue('Mcp-Name', 'a\u0001b')).code, -32020);
  });

  it('leave a tools/call without a name to the method (which names the missing param)', () => {
    checkRoutingHeaders({ 'mcp-method': 'tools/call' }, request('tools/call', {}));
  });
});

describe('client capabilities', () => {
  it('are missing when not declared, or when a nested one is not', () => {
    assert.deepEqual(missingCapabilities({}, { sampling: {} }), { sampling: {} });
    assert.equal(missingCapabilities({ sampling: {} }, { sampling: {} }), undefined);
    assert.deepEqual(missingCapabilities({ elicitation: { form: {} } }, { elicitation: { url: {} } }), {
      elicitation: { url: {} },
    });
    assert.equal(missingCapabilities({ elicitation: { form: {}, url: {} } }, { elicitation: { url: {} } }), undefined);
  });
});

describe('framing a result by era', () => {
  const serverInfo = { name: 'mcp-test', version: '1.0.0' };

  it('sends legacy results as they are', () => {
    assert.equal(frameResult('legacy', { value: {} }, serverInfo), '{}');
    assert.equal(
      frameResult('legacy', { json: '{"tools":[]}' }, serverInfo, { ttlMs: 5, cacheScope: 'private' }),
      '{"tools":[]}',
    );
  });

  it('adds resultType, the caching hint and serverInfo in _meta to modern results, keeping their own _meta', () => {
    const framed = JSON.parse(
      frameResult('modern', { value: { content: [], _meta: { 'mcp-cluster/error': { code: 'X' } } } }, serverInfo),
    );
    assert.deepEqual(framed, {
      resultType: 'complete',
      content: [],
      _meta: { 'mcp-cluster/error': { code: 'X' }, [META.serverInfo]: serverInfo },
    });
    const page = JSON.parse(
      frameResult('modern', { json: '{"tools":[{"name":"a"}],"nextCursor":"c"}' }, serverInfo, {
        ttlMs: 10_000,
        cacheScope: 'private',
      }),
    );
    assert.deepEqual(page, {
      tools: [{ name: 'a' }],
      nextCursor: 'c',
      resultType: 'complete',
      ttlMs: 10_000,
      cacheScope: 'private',
      _meta: { [META.serverInfo]: serverInfo },
    });
  });
});
