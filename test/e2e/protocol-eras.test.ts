import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Client,
  type ClientOptions,
  ProtocolError,
  SdkHttpError,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import type { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createApiKey } from '../../shared/auth/api-keys.js';
import {
  awaitAuditRecords,
  connectClient,
  post,
  rawRequest,
  startTestCluster,
  type TestCluster,
} from '../helpers/cluster.js';

const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';
const EXAMPLE_TOOLS = ['calculate', 'delete_user_account', 'get_current_time', 'get_weather_forecast'];
const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
} as const;
const SERVER_INFO = { name: 'mcp-cluster-local', version: '0.1.0' };

/** How a v2 client picks its era: probe `server/discover` and fall back, insist on 2026-07-28, or `initialize`. */
type Negotiation = 'auto' | 'pinned' | 'legacy';

const negotiationOptions: Record<Negotiation, ClientOptions> = {
  auto: { versionNegotiation: { mode: 'auto' } },
  pinned: { versionNegotiation: { mode: { pin: MODERN } } },
  legacy: {},
};

/** A key the test made, with the agent its audit records are filed under. */
interface Credential {
  key: string;
  agentId: string;
}

/** One HTTP exchange of a client, as its fetch saw it. */
interface Exchange {
  httpMethod: string;
  /** The JSON-RPC method of the body, if it had one. */
  method?: string;
  protocolVersionHeader: string | null;
  status: number;
  worker: string | null;
}

interface V2Connection {
  client: Client;
  exchanges: Exchange[];
}

/** Tools called with each agent's keys, in order: what the audit trail must hold. */
const calledByAgent = new Map<string, string[]>();

function noteCall(agentId: string, tool: string) {
  calledByAgent.set(agentId, [...(calledByAgent.get(agentId) ?? []), tool]);
}

function parseBody(body: RequestInit['body']): { method?: string; params?: { name?: string } } {
  if (typeof body !== 'string') return {};
  try {
    return JSON.parse(body) as { method?: string; params?: { name?: string } };
  } catch {
    return {};
  }
}

/**
 * A client of the MCP SDK v2 over Streamable HTTP, not yet connected, whose fetch records every exchange and every
 * tools/call it sends.
 */
function recordingV2Client(url: string, credential: Credential, negotiation: Negotiation) {
  const exchanges: Exchange[] = [];
  const recordingFetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const sent = parseBody(init?.body);
    if (sent.method === 'tools/call' && sent.params?.name) noteCall(credential.agentId, sent.params.name);
    const response = await fetch(input, init);
    exchanges.push({
      httpMethod: init?.method ?? 'GET',
      ...(sent.method ? { method: sent.method } : {}),
      protocolVersionHeader: new Headers(init?.headers).get('mcp-protocol-version'),
      status: response.status,
      worker: response.headers.get('x-mcp-cluster-worker'),
    });
    return response;
  };
  const client = new Client({ name: 'protocol-eras-e2e', version: '1.0.0' }, negotiationOptions[negotiation]);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${credential.key}` } },
    fetch: recordingFetch,
  });
  return { client, transport, exchanges };
}

async function connectV2(url: string, credential: Credential, negotiation: Negotiation): Promise<V2Connection> {
  const { client, transport, exchanges } = recordingV2Client(url, credential, negotiation);
  await client.connect(transport);
  return { client, exchanges };
}

const workersOf = (exchanges: readonly Exchange[]) => new Set(exchanges.map((exchange) => exchange.worker));
const namesOf = (tools: readonly { name: string }[]) => tools.map((tool) => tool.name).sort();

interface RpcAnswer {
  id: string | number | null;
  result?: Record<string, unknown> & { _meta?: Record<string, unknown> };
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

describe('both MCP protocol eras from one endpoint, through MCP clients no one here wrote', () => {
  const since = new Date().toISOString();
  let cluster: TestCluster;
  /** Every scope; every tools/call of the clients below is made with it and audited under its agent. */
  let audited: Credential;
  let weatherOnly: Credential;

  /** A raw modern request with the development key: the `_meta` envelope and routing headers a client sends. */
  const modern = (id: string | number, method: string, params: Record<string, unknown> = {}, headers = {}) =>
    post(
      cluster.url,
      {
        jsonrpc: '2.0',
        id,
        method,
        params: { ...params, _meta: { [META.protocolVersion]: MODERN, [META.clientCapabilities]: {} } },
      },
      {
        authorization: `Bearer ${cluster.apiKey}`,
        'mcp-protocol-version': MODERN,
        'mcp-method': method,
        ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
        ...headers,
      },
    );

  before(async () => {
    cluster = await startTestCluster();
    const store = { client: cluster.dynamodb, tableName: cluster.tableName };
    audited = { agentId: 'protocol-eras-e2e', key: '' };
    audited.key = (await createApiKey(store, { agentId: audited.agentId, scopes: ['*'] })).key;
    weatherOnly = { agentId: 'protocol-eras-weather-only', key: '' };
    weatherOnly.key = (await createApiKey(store, { agentId: weatherOnly.agentId, scopes: ['weather:read'] })).key;
  });

  after(async () => {
    await cluster?.dispose();
  });

  describe('the v2 client in the 2026-07-28 era', () => {
    it('negotiates 2026-07-28 in auto mode, lists the example tools and calls one, across both workers', async () => {
      const { client, exchanges } = await connectV2(cluster.url, audited, 'auto');
      try {
        assert.equal(client.getProtocolEra(), 'modern');
        assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
        assert.deepEqual(client.getServerVersion(), SERVER_INFO);

        const { tools } = await client.listTools();
        assert.deepEqual(namesOf(tools), EXAMPLE_TOOLS);
        const result = await client.callTool({ name: 'calculate', arguments: { expression: '(2 + 3) * 4 ^ 2' } });
        assert.equal(result.isError, undefined);
        assert.deepEqual(result.structuredContent, { expression: '(2 + 3) * 4 ^ 2', result: 80 });

        assert.deepEqual(
          exchanges.map((exchange) => exchange.method),
          ['server/discover', 'tools/list', 'tools/call'],
          'no initialize: the probe, then the requests themselves',
        );
        for (const exchange of exchanges) {
          assert.equal(exchange.protocolVersionHeader, MODERN, `${exchange.method} names 2026-07-28`);
          assert.equal(exchange.status, 200, `${exchange.method} answered`);
        }
        assert.equal(workersOf(exchanges).size, 2, 'the requests of one client reached both workers');
      } finally {
        await client.close();
      }
    });

    it('serves a client pinned to 2026-07-28: tools, an unknown tool as -32602, invalid arguments as a result naming the field', async () => {
      const { client, exchanges } = await connectV2(cluster.url, audited, 'pinned');
      try {
        assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
        assert.deepEqual(namesOf((await client.listTools()).tools), EXAMPLE_TOOLS);
        const result = await client.callTool({ name: 'calculate', arguments: { expression: '(2 + 3) * 4 ^ 2' } });
        assert.deepEqual(result.structuredContent, { expression: '(2 + 3) * 4 ^ 2', result: 80 });

        await assert.rejects(
          client.callTool({ name: 'launch_missiles', arguments: {} }),
          (error: unknown) =>
            error instanceof ProtocolError &&
            error.code === -32602 &&
            /Unknown tool: "launch_missiles"/.test(error.message),
        );

        const invalid = await client.callTool({ name: 'get_weather_forecast', arguments: {} });
        assert.equal(invalid.isError, true);
        // The forecast tool has an output schema of its own, so the code travels in _meta only.
        const failure = invalid._meta?.['mcp-cluster/error'] as { code: string; issues: { field: string }[] };
        assert.equal(failure.code, 'INVALID_ARGUMENTS');
        assert.deepEqual(
          failure.issues.map((issue) => issue.field),
          ['city'],
        );
        assert.match((invalid.content as { text: string }[])[0]?.text ?? '', /city: /);

        assert.ok(
          exchanges.every((exchange) => exchange.protocolVersionHeader === MODERN),
          'every request named 2026-07-28',
        );
      } finally {
        await client.close();
      }
    });

    it('hides delete_user_account from a weather-only key and answers its call exactly like an unknown tool', async () => {
      const { client } = await connectV2(cluster.url, weatherOnly, 'pinned');
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(namesOf(tools), ['calculate', 'get_current_time', 'get_weather_forecast']);

        const refusal = async (name: string) => {
          const error = await client
            .callTool({ name, arguments: { userId: 'u-1004', reason: 'requested by the account owner' } })
            .then(
              () => assert.fail(`${name} was called`),
              (error: unknown) => error,
            );
          assert.ok(error instanceof ProtocolError, `${name} is refused with a JSON-RPC error`);
          return { code: error.code, message: error.message.replace(name, '<tool>'), data: error.data };
        };
        const hidden = await refusal('delete_user_account');
        assert.equal(hidden.code, -32602);
        assert.match(hidden.message, /^Unknown tool: "<tool>"/);
        assert.deepEqual(hidden, await refusal('no_such_tool'));
      } finally {
        await client.close();
      }
    });

    it('refuses an unknown key with 403 (API keys only), which the client reports as access denied', async () => {
      const bogus = { agentId: 'nobody', key: 'mcpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
      const { client, transport, exchanges } = recordingV2Client(cluster.url, bogus, 'pinned');
      await assert.rejects(
        client.connect(transport),
        (error: unknown) =>
          error instanceof SdkHttpError && error.status === 403 && /denied access \(HTTP 403\)/.test(error.message),
      );
      assert.deepEqual(
        exchanges.map((exchange) => [exchange.method, exchange.status]),
        [['server/discover', 403]],
        'refused at the probe, with no fallback to initialize',
      );
    });
  });

  describe('the 2025-11-25 era', () => {
    it('still serves the v2 client in its default legacy mode, through initialize', async () => {
      const { client, exchanges } = await connectV2(cluster.url, audited, 'legacy');
      try {
        assert.equal(client.getProtocolEra(), 'legacy');
        assert.equal(client.getNegotiatedProtocolVersion(), LEGACY);
        assert.deepEqual(namesOf((await client.listTools()).tools), EXAMPLE_TOOLS);
        const result = await client.callTool({ name: 'calculate', arguments: { expression: '2 ^ 10' } });
        assert.deepEqual(result.structuredContent, { expression: '2 ^ 10', result: 1024 });

        const posts = exchanges.filter((exchange) => exchange.httpMethod === 'POST');
        assert.equal(posts[0]?.method, 'initialize');
        assert.ok(!posts.some((exchange) => exchange.method === 'server/discover'), 'no probe in legacy mode');
        for (const exchange of posts.slice(1)) {
          assert.equal(exchange.protocolVersionHeader, LEGACY, `${exchange.method} names 2025-11-25`);
        }
      } finally {
        await client.close();
      }
    });

    it('still serves the 1.x SDK client, which negotiates 2025-11-25', async () => {
      const { client, workers } = await connectClient(cluster.url, audited.key);
      try {
        assert.equal((client.transport as LegacyTransport).protocolVersion, LEGACY);
        assert.deepEqual(namesOf((await client.listTools()).tools), EXAMPLE_TOOLS);
        noteCall(audited.agentId, 'calculate');
        const result = await client.callTool({ name: 'calculate', arguments: { expression: '7 * 6' } });
        assert.deepEqual(result.structuredContent, { expression: '7 * 6', result: 42 });
        assert.equal(new Set(workers).size, 2, 'the requests of one client reached both workers');
      } finally {
        await client.close();
      }
    });
  });

  describe('raw 2026-07-28 requests, for what clients never send', () => {
    it("answers server/discover with both eras' versions, the tools capability and a public caching hint", async () => {
      const response = await modern('discover', 'server/discover');
      assert.equal(response.status, 200);
      const { id, result } = (await response.json()) as RpcAnswer;
      assert.equal(id, 'discover');
      const discover = result as { supportedVersions: string[]; capabilities: { tools?: unknown }; ttlMs: number };
      assert.equal(result?.resultType, 'complete');
      assert.equal(discover.supportedVersions[0], MODERN);
      assert.ok(discover.supportedVersions.includes(LEGACY), 'legacy clients learn they may initialize');
      assert.ok(discover.capabilities.tools, 'tools capability advertised');
      assert.ok(Number.isInteger(discover.ttlMs) && discover.ttlMs >= 0, 'ttlMs is a duration');
      assert.equal(result?.cacheScope, 'public');
      assert.deepEqual(result?._meta?.[META.serverInfo], SERVER_INFO);
    });

    it('marks a modern tools/list private to the caller, with a freshness', async () => {
      const response = await modern(2, 'tools/list');
      assert.equal(response.status, 200);
      const { result } = (await response.json()) as RpcAnswer;
      assert.equal(result?.resultType, 'complete');
      assert.ok(Number.isInteger(result?.ttlMs) && (result?.ttlMs as number) >= 0, 'ttlMs is a duration');
      assert.equal(result?.cacheScope, 'private');
      assert.deepEqual(namesOf(result?.tools as { name: string }[]), EXAMPLE_TOOLS);
    });

    it('refuses a modern request without _meta with 400 -32602, echoing its id', async () => {
      const response = await post(
        cluster.url,
        { jsonrpc: '2.0', id: 'no-meta', method: 'tools/list', params: {} },
        { authorization: `Bearer ${cluster.apiKey}`, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
      );
      assert.equal(response.status, 400);
      const body = (await response.json()) as RpcAnswer;
      assert.equal(body.id, 'no-meta');
      assert.equal(body.error?.code, -32602);
      assert.match(body.error?.message ?? '', /_meta/);
    });

    it('refuses a MCP-Protocol-Version header that disagrees with _meta with 400 -32020', async () => {
      const response = await modern(4, 'tools/list', {}, { 'mcp-protocol-version': LEGACY });
      assert.equal(response.status, 400);
      const body = (await response.json()) as RpcAnswer;
      assert.equal(body.id, 4);
      assert.equal(body.error?.code, -32020);
    });

    it('refuses a version it does not speak with 400 -32022, naming the versions it does', async () => {
      const response = await post(
        cluster.url,
        {
          jsonrpc: '2.0',
          id: 5,
          method: 'tools/list',
          params: { _meta: { [META.protocolVersion]: 'v999', [META.clientCapabilities]: {} } },
        },
        { authorization: `Bearer ${cluster.apiKey}`, 'mcp-protocol-version': 'v999', 'mcp-method': 'tools/list' },
      );
      assert.equal(response.status, 400);
      const { error } = (await response.json()) as RpcAnswer;
      assert.equal(error?.code, -32022);
      assert.equal(error?.data?.requested, 'v999');
      const supported = error?.data?.supported as string[];
      assert.equal(supported[0], MODERN);
      assert.ok(supported.includes(LEGACY));
    });

    it('refuses a tools/call whose Mcp-Name is not the tool in the body with 400 -32020', async () => {
      const response = await modern(
        6,
        'tools/call',
        { name: 'calculate', arguments: { expression: '1 + 1' } },
        { 'mcp-name': 'get_current_time' },
      );
      assert.equal(response.status, 400);
      const body = (await response.json()) as RpcAnswer;
      assert.equal(body.id, 6);
      assert.equal(body.error?.code, -32020);
      assert.match(body.error?.message ?? '', /Mcp-Name/);
    });

    it('answers the methods 2026-07-28 removed, ping and initialize, with 404 -32601', async () => {
      const ping = await modern(7, 'ping');
      assert.equal(ping.status, 404);
      assert.equal(((await ping.json()) as RpcAnswer).error?.code, -32601);
      const initialize = await modern(8, 'initialize', {
        protocolVersion: MODERN,
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      });
      assert.equal(initialize.status, 404);
      assert.equal(((await initialize.json()) as RpcAnswer).error?.code, -32601);
    });

    it('serves a request that carries an Mcp-Session-Id and hands out no session', async () => {
      const response = await modern(9, 'tools/list', {}, { 'mcp-session-id': 'a-session-from-elsewhere' });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('mcp-session-id'), null);
      assert.ok(((await response.json()) as RpcAnswer).result?.tools);
    });

    it('answers GET with 405 and Allow: POST', async () => {
      const response = await rawRequest(cluster.url, {
        method: 'GET',
        headers: {
          accept: 'text/event-stream',
          authorization: `Bearer ${cluster.apiKey}`,
          'mcp-protocol-version': MODERN,
        },
      });
      assert.equal(response.status, 405);
      assert.equal(response.headers.allow, 'POST');
    });
  });

  it('serves 16 short-lived v2 clients at once, auto and pinned, across both workers', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const { client, exchanges } = await connectV2(cluster.url, audited, i % 2 === 0 ? 'auto' : 'pinned');
        try {
          const result =
            i % 4 < 2
              ? await client.callTool({ name: 'calculate', arguments: { expression: `${i} * 3` } })
              : await client.callTool({ name: 'get_current_time', arguments: { timezone: 'Asia/Tokyo' } });
          return { i, era: client.getProtocolEra(), result, exchanges };
        } finally {
          await client.close();
        }
      }),
    );
    for (const { i, era, result } of outcomes) {
      assert.equal(era, 'modern', `client ${i} negotiated 2026-07-28`);
      assert.equal(result.isError, undefined, `client ${i}'s call succeeded`);
      if (i % 4 < 2) assert.deepEqual(result.structuredContent, { expression: `${i} * 3`, result: i * 3 });
      else assert.equal((result.structuredContent as { timezone: string }).timezone, 'Asia/Tokyo');
    }
    const exchanges = outcomes.flatMap((outcome) => outcome.exchanges);
    assert.ok(
      exchanges.every((exchange) => exchange.status === 200),
      'every request was answered',
    );
    assert.equal(workersOf(exchanges).size, 2, 'both workers served them');
  });

  it('leaves one audit record for every tools/call made above, under the caller', async () => {
    for (const [agentId, called] of calledByAgent) {
      const records = await awaitAuditRecords(cluster, { agentId, since }, called.length);
      assert.deepEqual(
        records.map((record) => record.tool).sort(),
        [...called].sort(),
        `${agentId}: one record per call`,
      );
    }
    assert.deepEqual([...calledByAgent.keys()].sort(), [audited.agentId, weatherOnly.agentId].sort());
    // 1 (auto) + 3 (pinned) + 1 (v2 legacy) + 1 (1.x) + 16 (in parallel)
    assert.equal(calledByAgent.get(audited.agentId)?.length, 22, 'every call above was counted');
    const denied = await awaitAuditRecords(
      cluster,
      { agentId: weatherOnly.agentId, tool: 'delete_user_account', since },
      1,
    );
    assert.deepEqual(
      denied.map((record) => record.outcome),
      ['denied'],
      'the hidden tool is audited as denied, though answered as unknown',
    );
  });
});
