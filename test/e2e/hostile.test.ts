/**
 * Hostile input and faults against a 2-worker local cluster (the Lambda bundle behind the local API Gateway): about
 * 200 malformed messages from a seeded generator, uploads cut off mid-way, DynamoDB killed twice mid-traffic, and a
 * worker killed mid-call. Every answer must come within 5 s, below 500, as JSON-RPC that shows nothing of the
 * server's insides; no worker may crash; and the audit trail must hold exactly one record per call that reached a
 * tool.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { AuditRecord } from '../../shared/audit/audit.js';
import { createApiKey } from '../../shared/auth/api-keys.js';
import { awaitAuditRecords, sleep, startTestCluster, type TestCluster } from '../helpers/cluster.js';

const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';
const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
};
/** MAX_BODY_BYTES's default: the largest body the function takes. */
const MAX_BODY_BYTES = 1_048_576;
const ANSWER_WITHIN_MS = 5_000;
const SEED = 0x5eed_2026;

type Rng = () => number;
type Id = string | number;
type Json = Record<string, unknown>;

/** mulberry32: a small seeded PRNG, so every run sends the same messages. */
function seeded(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

/** One HTTP exchange, as the client saw it. */
interface Exchange {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ms: number;
  /** Why no answer came, when none did. */
  failure?: string;
}

/** A POST with exactly these headers and bytes; it gives up (status 0) after ANSWER_WITHIN_MS and a little. */
function exchange(url: string, headers: Record<string, string>, body: Buffer | string): Promise<Exchange> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const started = Date.now();
  return new Promise((resolve) => {
    const done = (answer: Omit<Exchange, 'ms'>) => {
      clearTimeout(timer);
      resolve({ ...answer, ms: Date.now() - started });
    };
    const req = httpRequest(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(bytes.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (error) => done({ status: 0, headers: {}, body: '', failure: String(error) }));
      },
    );
    const timer = setTimeout(() => req.destroy(new Error('no answer in time')), ANSWER_WITHIN_MS + 500);
    req.on('error', (error) => done({ status: 0, headers: {}, body: '', failure: String(error) }));
    req.end(bytes);
  });
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return results;
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
const excerpt = (text: string) => (text.length > 160 ? `${text.slice(0, 160)}…` : text);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// ---------------------------------------------------------------------------------------------------------------------
// The hostile messages.

/** Legacy without a version header, legacy naming 2025-11-25, or 2026-07-28 with its `_meta` and routing headers. */
type Era = 'legacy' | 'legacy-2025-11-25' | 'modern';
const ERAS: readonly Era[] = ['legacy', 'legacy-2025-11-25', 'modern'];

interface Probe {
  label: string;
  /** Headers besides the defaults; `null` removes a default. */
  headers: Record<string, string | null>;
  body: Buffer;
  /** Whether the single message is a tools/call, or for a batch the ids of its tools/call members. */
  toolCall: boolean | ReadonlySet<Id>;
  batch?: boolean;
}

/** A header value as a 2026-07-28 client sends it: as is when it is plain ASCII, else `=?base64?…?=`. */
const headerValue = (value: string) =>
  /^[\x20-\x7e]*$/.test(value) ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;

/**
 * A message as text in an era: the modern one gets the `_meta` envelope (when its params are an object) and the
 * routing headers that match it. `"@@name@@"` in the text becomes `raw[name]`: JSON no serializer writes (1e400, -0,
 * nesting 5,000 deep, a member named twice).
 */
function framed(era: Era, message: Json, raw: Record<string, string> = {}) {
  const headers: Record<string, string> = {};
  let body = message;
  if (era === 'legacy-2025-11-25') headers['mcp-protocol-version'] = LEGACY;
  if (era === 'modern') {
    headers['mcp-protocol-version'] = MODERN;
    const params = message.params;
    if (isObject(params)) body = { ...message, params: { ...params, _meta: MODERN_META } };
    if (typeof message.method === 'string' && message.method.length <= 200)
      headers['mcp-method'] = headerValue(message.method);
    const name = isObject(params) ? params.name : undefined;
    if (message.method === 'tools/call' && typeof name === 'string' && name.length <= 1_000)
      headers['mcp-name'] = headerValue(name);
  }
  let text = JSON.stringify(body);
  for (const [name, value] of Object.entries(raw)) text = text.replace(`"@@${name}@@"`, () => value);
  return { text, headers };
}

const callOf = (id: unknown, name: unknown, args?: unknown): Json => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: args === undefined ? { name } : { name, arguments: args },
});

/** A JSON text of `bytes` bytes exactly: `"@@fill@@"` becomes a string of `unit` repeated (and 'x' for the rest). */
function filledTo(text: string, bytes: number, unit = 'x'): string {
  const room = bytes - Buffer.byteLength(text.replace('"@@fill@@"', '""'));
  const fill = unit.repeat(Math.floor(room / Buffer.byteLength(unit))) + 'x'.repeat(room % Buffer.byteLength(unit));
  return text.replace('"@@fill@@"', () => `"${fill}"`);
}

/** The calls this file makes (never a tool with side effects or an upstream), with arguments good and bad. */
const CALLS: readonly [string, Json][] = [
  ['calculate', { expression: '6 * 7' }],
  ['calculate', { expression: '2 +' }],
  ['calculate', { expression: '1 / 0' }],
  ['calculate', {}],
  ['calculate', { expression: 42 }],
  ['get_current_time', {}],
  ['get_current_time', { timezone: 'Europe/Lisbon' }],
  ['get_current_time', { timezone: 'Mars/Olympus_Mons' }],
  ['no_such_tool', {}],
  ['launch_missiles', { now: true }],
];
const UNKNOWN_TOOLS = ['Calculate', 'calculate ', 'get-current-time', '__proto__', 'constructor', 'x'.repeat(129)];
const UNKNOWN_METHODS = [
  'tools/delete',
  'resources/list',
  'resources/read',
  'prompts/get',
  'sampling/createMessage',
  'rpc.discover',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'TOOLS/CALL',
  'tools/call ',
  'tools/call\u0000',
  'tools\u202e/call',
  'notifications/initialized',
  '\ud800',
  'm'.repeat(201),
];
const ODD_UNICODE = [
  '\ud800',
  '\udfff',
  'a\ud800b',
  '\udc00\ud800',
  '\u0000',
  'nul\u0000byte',
  '\u202etxt.exe',
  '\u200f\u200e\u200b',
  '\ufeffbom',
  '\uffff\ufffe',
  'e\u0301\u0301\u0301',
  '\u2028\u2029',
  '\ud83d\ude00',
];
const RAW_IDS = [
  '9007199254740993', // 2^53 + 1
  '9007199254740992',
  '9007199254740991',
  '-9007199254740991',
  '1e400',
  '-1e400',
  '-0',
  '0.0',
  '1.5',
  '1e3',
  JSON.stringify('i'.repeat(10_000)),
  JSON.stringify('i'.repeat(200)),
  JSON.stringify('i'.repeat(201)),
  '""',
  '{}',
  '{"id":1}',
  '[]',
  '[1]',
  'true',
  'false',
  'null',
  JSON.stringify('\ud800'),
  JSON.stringify('\u0000\u202e'),
];
const BAD_UTF8 = [
  [0xff],
  [0xfe, 0xfe],
  [0xc3, 0x28],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0x80],
];

/** What one hostile case is made of, for the `n`th message of its class in a random era, with a random call. */
interface Case {
  rng: Rng;
  n: number;
  id: number;
  era: Era;
  name: string;
  args: Json;
}
type Made = Omit<Probe, 'label'> & { variant: string; framing?: string };

const message = (c: Case, variant: string, json: Json, toolCall: boolean, raw?: Record<string, string>): Made => {
  const { text, headers } = framed(c.era, json, raw);
  return { body: Buffer.from(text), headers, toolCall, variant };
};
/** A body as bytes, with the headers of its era for the message the server will read in it (or for a call). */
const bare = (c: Case, variant: string, body: string | Buffer, toolCall = false): Made => {
  const read = parse(Buffer.from(body).toString('utf8'));
  const { headers } = framed(c.era, isObject(read) ? read : callOf(c.id, c.name, c.args));
  return { body: Buffer.from(body), headers, toolCall, variant };
};
/** The `n`th of `items`, so that every one is sent whatever the seed. */
const nth = <T>(c: Case, items: readonly T[]): T => items[c.n % items.length]!;

const CLASSES: Record<string, [count: number, make: (c: Case) => Made]> = {
  'unknown method': [
    UNKNOWN_METHODS.length,
    (c) => {
      const method = nth(c, UNKNOWN_METHODS);
      return message(
        c,
        excerpt(JSON.stringify(method)).slice(0, 30),
        { jsonrpc: '2.0', id: c.id, method, params: {} },
        false,
      );
    },
  ],
  'odd members': [
    26,
    (c) => {
      const call = callOf(c.id, c.name, c.args);
      const variants: [string, () => Made][] = [
        ['method and result', () => message(c, '', { ...call, result: {} }, true)],
        ['method and error', () => message(c, '', { ...call, error: { code: 1, message: 'x' } }, true)],
        ['extra top-level members', () => message(c, '', { ...call, session: 'abc', extra: [1] }, true)],
        ['a __proto__ member', () => message(c, '', { ...call, p: '@@p@@' }, true, { p: '1,"__proto__":{"a":1}' })],
        [
          'a member named twice',
          () => message(c, '', { ...call, method: 'ping', m: '@@m@@' }, true, { m: '1,"method":"tools/call"' }),
        ],
        ['no jsonrpc', () => message(c, '', { ...call, jsonrpc: undefined }, true)],
        ['jsonrpc 1.0', () => message(c, '', { ...call, jsonrpc: '1.0' }, true)],
        ['jsonrpc as a number', () => message(c, '', { ...call, jsonrpc: 2 }, true)],
        ['params as an array', () => message(c, '', { ...call, params: [c.name, c.args] }, true)],
        ['params as a string', () => message(c, '', { ...call, params: c.name }, true)],
        ['params as null', () => message(c, '', { ...call, params: null }, true)],
        ['name as a number', () => message(c, '', callOf(c.id, 7, c.args), true)],
        ['name as an object', () => message(c, '', callOf(c.id, { name: c.name }, c.args), true)],
        ['no name', () => message(c, '', { ...call, params: { arguments: c.args } }, true)],
        ['arguments as an array', () => message(c, '', callOf(c.id, c.name, [c.args]), true)],
        ['arguments as a string', () => message(c, '', callOf(c.id, c.name, 'expression=6*7'), true)],
        ['arguments as null', () => message(c, '', callOf(c.id, c.name, null), true)],
        ['a tools/call notification', () => message(c, '', { ...call, id: undefined }, false)],
        ['a response on its own', () => message(c, '', { jsonrpc: '2.0', id: c.id, result: {} }, false)],
        ['an id and nothing else', () => message(c, '', { jsonrpc: '2.0', id: c.id }, false)],
        ['an empty object', () => bare(c, '', '{}')],
        ['a bare number', () => bare(c, '', '42')],
        ['a bare string', () => bare(c, '', '"tools/call"')],
        ['a bare null', () => bare(c, '', 'null')],
        ['an empty body', () => bare(c, '', '')],
        ['JSON with a trailing comma', () => bare(c, '', `${JSON.stringify(call).slice(0, -1)},}`)],
      ];
      const [variant, make] = nth(c, variants);
      return { ...make(), variant };
    },
  ],
  batch: [
    14,
    (c) => {
      const batch = batchOf(c);
      const legacy = { ...batch, headers: {} };
      const variants: [string, () => Made][] = [
        ['a legacy batch', () => legacy],
        ['a legacy batch', () => legacy],
        ['a legacy batch', () => legacy],
        ['a batch naming 2025-11-25', () => ({ ...batch, headers: { 'mcp-protocol-version': LEGACY } })],
        ['a batch naming 2026-07-28', () => ({ ...batch, headers: { 'mcp-protocol-version': MODERN } })],
        ['an empty batch', () => ({ ...legacy, body: Buffer.from('[]') })],
        [
          'a batch of 21',
          () => ({
            ...legacy,
            body: Buffer.from(
              JSON.stringify(Array.from({ length: 21 }, (_, k) => ({ jsonrpc: '2.0', id: k, method: 'ping' }))),
            ),
          }),
        ],
        [
          'a batch with an id twice',
          () => ({
            ...legacy,
            body: Buffer.from(
              JSON.stringify([
                callOf(1, 'calculate', { expression: '1' }),
                callOf(1, 'calculate', { expression: '2' }),
              ]),
            ),
            toolCall: new Set([1]),
          }),
        ],
      ];
      const [variant, make] = nth(c, variants);
      const made = make();
      return { ...made, batch: true, variant, framing: made.headers['mcp-protocol-version'] ?? 'no version header' };
    },
  ],
  'extreme id': [
    RAW_IDS.length,
    (c) => {
      const raw = nth(c, RAW_IDS);
      const toolCall = c.rng() < 0.6;
      const json = toolCall
        ? callOf('@@id@@', c.name, c.args)
        : { jsonrpc: '2.0', id: '@@id@@', method: pick(c.rng, ['ping', 'tools/list']) };
      return message(c, excerpt(raw).slice(0, 30), json, toolCall, { id: raw });
    },
  ],
  'deep value': [
    16,
    (c) => {
      const [depth, shape, where] = nth(
        c,
        [50, 5_000].flatMap((d) =>
          ['arrays', 'objects'].flatMap(
            (s) =>
              [
                [d, s, 'beside the arguments'],
                [d, s, 'as the arguments'],
              ] as const,
          ),
        ),
      );
      const deep =
        shape === 'arrays' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
      const json = callOf(
        c.id,
        c.name,
        where === 'as the arguments' && shape === 'objects' ? '@@deep@@' : { ...c.args, nested: '@@deep@@' },
      );
      return message(c, `${depth} ${shape} ${where} of ${c.name}`, json, true, { deep });
    },
  ],
  'wide value': [
    12,
    (c) => {
      const keys = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
      const items = Array.from({ length: 10_000 }, (_, i) => i);
      const variants: [string, Json][] = [
        ['10,000 keys beside the arguments', callOf(c.id, c.name, { ...keys, ...c.args })],
        ['10,000 keys in an argument', callOf(c.id, c.name, { ...c.args, wide: keys })],
        ['10,000 items in an argument', callOf(c.id, c.name, { ...c.args, wide: items })],
        ['10,000 keys for a tool that takes none', callOf(c.id, 'get_current_time', keys)],
        [
          '10,000 keys in params',
          { ...callOf(c.id, c.name, c.args), params: { ...keys, name: c.name, arguments: c.args } },
        ],
        ['10,000 keys for an unknown tool', callOf(c.id, 'no_such_tool', keys)],
      ];
      const [variant, json] = nth(c, variants);
      return message(c, `${variant} (${c.name})`, json, true);
    },
  ],
  'huge string': [
    13,
    (c) => {
      const expression = (bytes: number, unit?: string) =>
        filledTo(framed(c.era, callOf(c.id, 'calculate', { expression: '@@fill@@' })).text, bytes, unit);
      const variants: [string, () => string][] = [
        ['an expression filling the limit exactly', () => expression(MAX_BODY_BYTES)],
        ['an expression just under the limit', () => expression(MAX_BODY_BYTES - 1 - Math.floor(c.rng() * 500))],
        ['an expression one byte over the limit', () => expression(MAX_BODY_BYTES + 1)],
        [
          'two-byte characters: under the limit in characters, over it in bytes',
          () => expression(MAX_BODY_BYTES + 1 + Math.floor(c.rng() * 1_000), '\u00e9'),
        ],
        ['two megabytes', () => expression(2 * MAX_BODY_BYTES)],
        [
          'an unknown tool with a blob under the limit',
          () => filledTo(framed(c.era, callOf(c.id, 'no_such_tool', { blob: '@@fill@@' })).text, MAX_BODY_BYTES - 100),
        ],
        [
          'a tool name of a megabyte',
          () => filledTo(framed(c.era, callOf(c.id, '@@fill@@', {})).text, MAX_BODY_BYTES - 10),
        ],
        [
          'an id of a megabyte',
          () => filledTo(framed(c.era, callOf('@@fill@@', 'calculate', { expression: '1' })).text, MAX_BODY_BYTES),
        ],
        [
          'a method of a megabyte',
          () =>
            filledTo(framed(c.era, { jsonrpc: '2.0', id: c.id, method: '@@fill@@', params: {} }).text, MAX_BODY_BYTES),
        ],
      ];
      const [variant, make] = nth(c, variants);
      const body = make();
      return bare(c, `${variant} (${Buffer.byteLength(body)} bytes)`, body, true);
    },
  ],
  'odd unicode': [
    26,
    (c) => {
      const odd = nth(c, ODD_UNICODE);
      const variants: [string, Json][] = [
        ['tool name', callOf(c.id, pick(c.rng, [odd, `calculate${odd}`, `${odd}get_current_time`]), {})],
        ['id', callOf(`${c.id}${odd}`, 'calculate', { expression: '2 ^ 10' })],
        ['expression', callOf(c.id, 'calculate', { expression: `1 + ${odd}` })],
        ['time zone', callOf(c.id, 'get_current_time', { timezone: odd })],
        ['argument name', callOf(c.id, 'calculate', { [odd]: odd, expression: '3 * 3' })],
      ];
      const [where, json] = nth(c, variants);
      return message(c, `${where}: ${JSON.stringify(odd)}`, json, true);
    },
  ],
  'invalid UTF-8': [
    21,
    (c) => {
      const bad = Buffer.from(nth(c, BAD_UTF8));
      const meta = c.era === 'modern' ? `"_meta":${JSON.stringify(MODERN_META)},` : '';
      const start = `{"jsonrpc":"2.0","id":${c.id},`;
      // Where the bytes go: between the two halves of a message.
      const places: [string, string, string, boolean][] = [
        [
          'expression',
          `${start}"method":"tools/call","params":{${meta}"name":"calculate","arguments":{"expression":"1 + `,
          '"}}}',
          true,
        ],
        ['tool name', `${start}"method":"tools/call","params":{${meta}"name":"calc`, '","arguments":{}}}', true],
        [
          'id',
          '{"jsonrpc":"2.0","id":"1',
          `","method":"tools/call","params":{${meta}"name":"get_current_time"}}`,
          true,
        ],
        ['method', `${start}"method":"tools/`, `","params":{${meta.slice(0, -1)}}}`, false],
        ['outside any string', start, '"method":"ping"}', false],
        ['a BOM first', '', `${start}"method":"ping"}`, false],
        ['UTF-16', '', '', true],
      ];
      const [where, before, after, toolCall] = nth(c, places);
      const body =
        where === 'UTF-16'
          ? Buffer.from(framed(c.era, callOf(c.id, 'calculate', { expression: '6*7' })).text, 'utf16le')
          : Buffer.concat([
              Buffer.from(before),
              where === 'a BOM first' ? Buffer.from([0xef, 0xbb, 0xbf]) : bad,
              Buffer.from(after),
            ]);
      return bare(c, `${where}: ${bad.toString('hex')}`, body, toolCall);
    },
  ],
  'wrong header': [
    27,
    (c) => {
      const variants: [string, Record<string, string | null>][] = [
        ['Content-Type text/plain', { 'content-type': 'text/plain' }],
        ['Content-Type form', { 'content-type': 'application/x-www-form-urlencoded' }],
        ['Content-Type multipart', { 'content-type': 'multipart/form-data; boundary=x' }],
        ['Content-Type application/jsonl', { 'content-type': 'application/jsonl' }],
        ['Content-Type empty', { 'content-type': '' }],
        ['no Content-Type', { 'content-type': null }],
        ['Content-Type in capitals with a charset', { 'content-type': 'APPLICATION/JSON; charset=utf-8' }],
        ['no Accept', { accept: null }],
        ['Accept text/html', { accept: 'text/html' }],
        ['Accept application/json;q=0', { accept: 'application/json;q=0, text/event-stream' }],
        ['Accept text/event-stream only', { accept: 'text/event-stream' }],
        ['Accept */*', { accept: '*/*' }],
        ['MCP-Protocol-Version 1999-01-01', { 'mcp-protocol-version': '1999-01-01' }],
        ['MCP-Protocol-Version banana', { 'mcp-protocol-version': 'banana' }],
        ['MCP-Protocol-Version 2026-07-28', { 'mcp-protocol-version': MODERN }],
        ['MCP-Protocol-Version 2025-11-25', { 'mcp-protocol-version': LEGACY }],
        ['MCP-Protocol-Version empty', { 'mcp-protocol-version': '' }],
        ['Mcp-Method of another method', { 'mcp-method': 'tools/list' }],
        ['no Mcp-Method', { 'mcp-method': null }],
        ['Mcp-Name of another tool', { 'mcp-name': c.name === 'calculate' ? 'get_current_time' : 'calculate' }],
        ['no Mcp-Name', { 'mcp-name': null }],
        ['Mcp-Name in Latin-1', { 'mcp-name': 'calcul\u00e9te' }],
        ['Mcp-Name badly encoded', { 'mcp-name': '=?base64?###?=' }],
        ['a foreign Origin', { origin: 'http://evil.example' }],
        ['no Authorization', { authorization: null }],
        ['an unknown key', { authorization: 'Bearer mcpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
        ['Basic credentials', { authorization: 'Basic Zm9vOmJhcg==' }],
      ];
      const [variant, headers] = nth(c, variants);
      // The routing headers are the 2026-07-28 era's own: that is where they are checked.
      const era = /Mcp-/.test(variant) ? 'modern' : c.era;
      const made = message({ ...c, era }, variant, callOf(c.id, c.name, c.args), true);
      return { ...made, headers: { ...made.headers, ...headers }, framing: era };
    },
  ],
};

/** A batch's members: tools/calls and others (each id unique), and the ids of its tools/calls. */
function batchOf(c: Case): Made {
  const members: unknown[] = [];
  const toolCalls = new Set<Id>();
  for (let k = 0; k < 2 + Math.floor(c.rng() * 5); k++) {
    const id = `${c.id}.${k}`;
    const [name, args] = pick(c.rng, CALLS);
    const kinds: Record<string, unknown> = {
      call: callOf(id, name, args),
      'unknown tool': callOf(id, pick(c.rng, UNKNOWN_TOOLS), {}),
      ping: { jsonrpc: '2.0', id, method: 'ping' },
      'unknown method': { jsonrpc: '2.0', id, method: 'tools/delete' },
      notification: { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
      response: { jsonrpc: '2.0', id, result: {} },
      scalar: pick(c.rng, [1, 'x', null, true, []]),
      'no jsonrpc': { id, method: 'tools/call', params: { name: 'calculate', arguments: { expression: '1' } } },
    };
    const kind = pick(c.rng, ['call', 'call', 'unknown tool', ...Object.keys(kinds)]);
    if (kind === 'call' || kind === 'unknown tool') toolCalls.add(id);
    members.push(kinds[kind]);
  }
  return { body: Buffer.from(JSON.stringify(members)), headers: {}, toolCall: toolCalls, batch: true, variant: '' };
}

/** About 200 hostile messages, the same on every run, in a shuffled order. */
function hostileProbes(seed: number): Probe[] {
  const rng = seeded(seed);
  const probes: Probe[] = [];
  for (const [kind, [count, make]] of Object.entries(CLASSES)) {
    for (let n = 0; n < count; n++) {
      const [name, args] = pick(rng, CALLS);
      const era = pick(rng, ERAS);
      const { variant, framing = era, ...probe } = make({ rng, n, id: 1_000 + probes.length, era, name, args });
      probes.push({ ...probe, label: `#${probes.length} ${kind}: ${variant || 'as is'} (${framing})` });
    }
  }
  for (let i = probes.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [probes[i], probes[j]] = [probes[j]!, probes[i]!];
  }
  return probes;
}

// ---------------------------------------------------------------------------------------------------------------------
// What every answer must be.

/** Why `value` is not a JSON-RPC 2.0 answer, if it is not one. */
function notAnAnswer(value: unknown): string | undefined {
  if (!isObject(value)) return 'an answer that is not an object';
  if (value.jsonrpc !== '2.0') return '"jsonrpc" is not "2.0"';
  if ('id' in value && !(typeof value.id === 'string' || Number.isSafeInteger(value.id)))
    return `an id that is neither a string nor a safe integer (${JSON.stringify(value.id)})`;
  if ('result' in value === 'error' in value) return 'not exactly one of result and error';
  if ('result' in value) return isObject(value.result) ? undefined : 'a result that is not an object';
  const error = value.error;
  if (!isObject(error) || !Number.isInteger(error.code) || typeof error.message !== 'string')
    return `a malformed error (${JSON.stringify(error)})`;
  return undefined;
}

/** Whether an answer to a tools/call says the call reached a tool (and so must have left an audit record). */
const reachedTool = (answer: unknown) =>
  isObject(answer) &&
  ('result' in answer ||
    (isObject(answer.error) &&
      ((typeof answer.error.message === 'string' && answer.error.message.startsWith('Unknown tool')) ||
        answer.error.code === -32021)));

function toolsReached(probe: Probe, answer: Exchange): number {
  const json = parse(answer.body);
  if (probe.toolCall === true) return !Array.isArray(json) && reachedTool(json) ? 1 : 0;
  if (probe.toolCall === false || !Array.isArray(json)) return 0;
  const calls = probe.toolCall;
  return json.filter((member) => isObject(member) && calls.has(member.id as Id) && reachedTool(member)).length;
}

describe('a cluster under hostile input and faults', () => {
  const since = new Date().toISOString();
  let cluster: TestCluster;
  let workerPids: number[];
  /** Things no answer may show: a stack trace, a file path, a table name. */
  let leaks: [string, RegExp][];

  const keyFor = async (agentId: string) =>
    (await createApiKey({ client: cluster.dynamodb, tableName: cluster.tableName }, { agentId, scopes: ['*'] })).key;
  const send = (key: string, probe: Pick<Probe, 'headers' | 'body'>) => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${key}`,
    };
    for (const [name, value] of Object.entries(probe.headers)) {
      if (value === null) delete headers[name];
      else headers[name] = value;
    }
    return exchange(cluster.url, headers, probe.body);
  };
  /** A plain `calculate` call, in either era. */
  const calculate = (key: string, era: Era, id: Id) => {
    const { text, headers } = framed(era, callOf(id, 'calculate', { expression: '6 * 7' }));
    return send(key, { headers, body: Buffer.from(text) });
  };
  const workersReplaced = () => cluster.logs.filter((line) => /worker exited|worker replaced/.test(line)).length;
  const dynamoRestarts = () => cluster.logs.filter((line) => line.includes('DynamoDB exited; started again')).length;
  const recordsOf = (agentId: string, count: number) => awaitAuditRecords(cluster, { agentId, since }, count, 15_000);

  before(async () => {
    cluster = await startTestCluster({ workers: 2 });
    workerPids = [...cluster.workerPids];
    leaks = [
      ['a stack trace', /\bat \S.*:\d+:\d+|\n\s+at \S/],
      ['a file path', /\/(?:work|home|tmp|var|usr|opt|Users|private)\/|file:\/\/|node_modules|\w\.(?:ts|mjs|js):\d+/],
      ['a table name', new RegExp(`${cluster.tableName}|${cluster.auditTableName}`)],
    ];
  });

  after(async () => {
    await cluster?.dispose();
  });

  it('answers 200 hostile messages in both eras, each within 5 s, below 500, as JSON-RPC, and audits each call that reached a tool once', async () => {
    const agentId = 'hostile-fuzz-e2e';
    const key = await keyFor(agentId);
    const probes = hostileProbes(SEED);
    assert.ok(probes.length >= 190, `${probes.length} messages`);

    const answers = await inParallel(probes, 8, (probe) => send(key, probe));

    const problems: string[] = [];
    /** For each request whose tools/calls reached a tool, by its label: how many did (each owes one audit record). */
    const reachedBy = new Map<string, number>();
    const labelOf = new Map<string, string>();
    probes.forEach((probe, index) => {
      const answer = answers[index]!;
      labelOf.set(String(answer.headers['x-amzn-requestid']), probe.label);
      const where = `${probe.label} → ${answer.status} ${excerpt(answer.body)}`;
      if (answer.failure || answer.ms > ANSWER_WITHIN_MS)
        problems.push(`${where}: no answer within 5 s (${answer.ms} ms, ${answer.failure})`);
      if (answer.status >= 500) problems.push(`${where}: a server error`);
      for (const [what, pattern] of leaks) if (pattern.test(answer.body)) problems.push(`${where}: shows ${what}`);
      if (answer.status === 202) {
        if (answer.body !== '') problems.push(`${where}: a 202 with a body`);
        return;
      }
      const json = parse(answer.body);
      const messages = probe.batch && Array.isArray(json) ? json : [json];
      if (probe.batch && Array.isArray(json) && json.length === 0) problems.push(`${where}: an empty batch answer`);
      for (const message of messages) {
        const wrong = notAnAnswer(message);
        if (wrong) problems.push(`${where}: ${wrong}`);
      }
      const reached = toolsReached(probe, answer);
      if (reached) reachedBy.set(probe.label, reached);
    });
    assert.deepEqual(problems, []);
    const reached = [...reachedBy.values()].reduce((sum, n) => sum + n, 0);
    assert.ok(reached >= 50, `${reached} calls reached a tool: enough of the run was not refused outright`);

    assert.deepEqual(workerPids.filter(alive), workerPids, 'both workers are still the ones started');
    assert.equal(workersReplaced(), 0, 'no worker exited or was replaced');

    const records = await recordsOf(agentId, reached);
    const recordedBy = new Map<string, number>();
    for (const { requestId } of records) {
      const label = labelOf.get(requestId) ?? `a request not sent (${requestId})`;
      recordedBy.set(label, (recordedBy.get(label) ?? 0) + 1);
    }
    const sorted = (counts: Map<string, number>) =>
      Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : 1)));
    assert.deepEqual(sorted(recordedBy), sorted(reachedBy), 'one audit record per call that reached a tool');
    assert.equal(new Set(records.map((record) => record.callId)).size, records.length, 'each for a call of its own');
    assert.deepEqual(
      records.filter((record) => record.outcome === 'started'),
      [],
      'every call ended',
    );
  });

  it('shrugs off uploads cut short and connections closed after the headers, and still answers on both workers', async () => {
    const { hostname, port } = new URL(cluster.url);
    const head = [
      'POST /mcp HTTP/1.1',
      `Host: ${hostname}:${port}`,
      'Content-Type: application/json',
      'Accept: application/json, text/event-stream',
      `Authorization: Bearer ${cluster.apiKey}`,
      'Content-Length: 50',
      '',
      '',
    ].join('\r\n');
    /** Opens a connection, sends `bytes`, waits a moment, then ends it: `destroy` resets, `end` closes politely. */
    const cutOff = (bytes: string, how: 'destroy' | 'end') =>
      new Promise<void>((resolve) => {
        const socket = connect(Number(port), hostname, () => {
          socket.write(bytes);
          setTimeout(() => (how === 'destroy' ? socket.destroy() : socket.end()), 50);
        });
        socket.resume(); // read whatever comes back, and the end of the connection
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
      });
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => [
        cutOff(`${head}{"jsonrpc"`, i % 2 ? 'destroy' : 'end'), // 10 of the 50 bytes promised
        cutOff(head, i % 2 ? 'end' : 'destroy'), // the headers and nothing more
        cutOff(head.slice(0, 60), 'destroy'), // not even the whole headers
      ]).flat(),
    );

    const workers = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const answer = await send(cluster.apiKey, {
        headers: {},
        body: Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/list' })),
      });
      assert.equal(answer.status, 200, excerpt(answer.body));
      assert.ok(isObject((parse(answer.body) as Json).result), 'a tools/list result');
      workers.add(String(answer.headers['x-mcp-cluster-worker']));
    }
    assert.deepEqual([...workers].sort(), ['0', '1']);
    assert.deepEqual(workerPids.filter(alive), workerPids, 'both workers are still the ones started');
    assert.equal(workersReplaced(), 0, 'no worker exited or was replaced');
  });

  it('keeps answering calls while DynamoDB is killed twice, and writes every audit record once it is back', async () => {
    const agentId = 'hostile-faults-e2e';
    const key = await keyFor(agentId);
    const answers: Exchange[] = [];
    // Warm both workers' key and registry caches: they carry calls through a short outage.
    for (let i = 0; i < 4; i++) answers.push(await calculate(key, i % 2 ? 'modern' : 'legacy', `warm-${i}`));
    assert.deepEqual(new Set(answers.map((answer) => answer.headers['x-mcp-cluster-worker'])), new Set(['0', '1']));

    const outages: { from: number; to: number }[] = [];
    const faults = (async () => {
      for (let kill = 0; kill < 2; kill++) {
        const restarts = dynamoRestarts();
        const from = Date.now();
        process.kill(cluster.dynamodbPid, 'SIGKILL');
        await until(() => dynamoRestarts() > restarts, 15_000, 'DynamoDB to be started again');
        outages.push({ from, to: Date.now() });
        await sleep(150);
      }
    })();
    // Four callers, each a call every 250 ms, until both outages are over (about 40 calls).
    let faultsOver = false;
    void faults.finally(() => {
      faultsOver = true;
    });
    const answeredAt: number[] = [];
    let made = 0;
    await inParallel([0, 1, 2, 3], 4, async () => {
      while (made < 40 || !faultsOver) {
        const answer = await calculate(key, made % 2 ? 'modern' : 'legacy', `fault-${made++}`);
        answeredAt.push(Date.now());
        answers.push(answer);
        await sleep(250);
      }
    });
    await faults;

    for (const answer of answers) {
      assert.equal(answer.status, 200, excerpt(answer.body));
      const result = (parse(answer.body) as { result?: { structuredContent?: unknown } }).result;
      assert.deepEqual(result?.structuredContent, { expression: '6 * 7', result: 42 }, excerpt(answer.body));
    }
    for (const { from, to } of outages)
      assert.ok(
        answeredAt.some((at) => at > from && at < to),
        `calls were answered while DynamoDB was down (${to - from} ms)`,
      );

    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      await cluster.flushAudit();
      if (cluster.auditWaiting() === 0) break;
      await sleep(100);
    }
    assert.equal(cluster.auditWaiting(), 0, 'no audit line is left waiting');
    const records = await recordsOf(agentId, answers.length);
    assert.equal(records.length, answers.length, 'one audit record per call');
    assert.equal(new Set(records.map((record) => record.callId)).size, records.length, 'each for a call of its own');
    assert.deepEqual(
      records.filter((record) => record.outcome !== 'success'),
      [],
      'every call ended, successfully',
    );
  });

  it('answers 200 or 502 while a worker is killed mid-call, serves on both workers again, and audits every answered call once', async () => {
    const agentId = 'hostile-worker-kill-e2e';
    const key = await keyFor(agentId);
    const answers: Exchange[] = [];
    const record = (answer: Exchange) => {
      answers.push(answer);
      return answer;
    };
    const inFlight = Array.from({ length: 6 }, (_, i) =>
      calculate(key, i % 2 ? 'modern' : 'legacy', `kill-${i}`).then(record),
    );
    await Promise.race(inFlight);
    process.kill(workerPids[0]!, 'SIGKILL');
    await inParallel(
      Array.from({ length: 10 }, (_, i) => i),
      2,
      (i) => calculate(key, i % 2 ? 'modern' : 'legacy', `after-${i}`).then(record),
    );
    await Promise.all(inFlight);

    for (const answer of answers)
      assert.ok([200, 502].includes(answer.status), `${answer.status} ${excerpt(answer.body)}`);
    // The killed worker is started again; sequential requests then alternate between the two.
    const workers = new Set<string>();
    const deadline = Date.now() + 15_000;
    while (workers.size < 2 && Date.now() < deadline) {
      const answer = record(await calculate(key, 'legacy', `again-${answers.length}`));
      assert.equal(answer.status, 200, excerpt(answer.body));
      workers.add(String(answer.headers['x-mcp-cluster-worker']));
      if (workers.size < 2) await sleep(50);
    }
    assert.deepEqual([...workers].sort(), ['0', '1'], 'both workers serve again');
    assert.ok(!alive(workerPids[0]!), 'the killed worker is gone');
    assert.ok(alive(workerPids[1]!), 'the other is the one started');

    const requestIdOf = (answer: Exchange) => String(answer.headers['x-amzn-requestid']);
    const answered = answers.filter((answer) => answer.status === 200);
    const lost = answers.filter((answer) => answer.status === 502);
    const records = await recordsOf(agentId, answered.length);
    const byRequest = new Map<string, AuditRecord[]>();
    for (const kept of records) byRequest.set(kept.requestId, [...(byRequest.get(kept.requestId) ?? []), kept]);
    for (const answer of answered) {
      const kept = byRequest.get(requestIdOf(answer)) ?? [];
      assert.equal(kept.length, 1, `one record for the answered call ${requestIdOf(answer)}`);
      assert.notEqual(kept[0]!.outcome, 'started');
    }
    for (const answer of lost)
      assert.ok((byRequest.get(requestIdOf(answer)) ?? []).length <= 1, 'at most one record for a lost call');
    const known = new Set(answers.map(requestIdOf));
    assert.deepEqual(
      records.filter((r) => !known.has(r.requestId)),
      [],
      'no record of a call not made',
    );
    assert.ok(
      records.filter((r) => r.outcome === 'started').length <= lost.length,
      'a start marker only for a lost call',
    );
  });
});
