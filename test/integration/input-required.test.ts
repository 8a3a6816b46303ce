import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { ensureAuditTable } from '../../infra/local/dynamodb.js';
import { createApiKey } from '../../shared/auth/api-keys.js';
import { loadConfig } from '../../shared/config/config.js';
import { createMcpApp } from '../../shared/mcp/app.js';
import type { McpEndpoint } from '../../shared/mcp/endpoint.js';
import {
  parseRequestStateKeys,
  type RequestStatePayload,
  sealRequestState,
} from '../../shared/mcp/input/request-state.js';
import { defineTool } from '../../shared/tools/define-tool.js';
import { captureLogs, type LocalAws, startLocalAws } from '../helpers/aws.js';
import { collectingAuditSink, postMcp } from '../helpers/endpoint.js';

const PREFIX = 'mcp-mrtr-test/';
const STATE_KEY = JSON.stringify({
  signing: 'k2',
  k2: 'second-key-0123456789-abcdefghijklmnop',
  k1: 'first-key-0123456789-abcdefghijklmnopq',
});

const confirmStep = defineTool({
  name: 'confirm_step',
  description: 'Asks for a name, then a confirmation, then answers.',
  input: z.object({ item: z.string() }),
  run: async ({ item }, ctx) => {
    const name = await ctx.elicit({
      key: 'name',
      message: 'Who are you?',
      requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    });
    const ok = await ctx.elicit({
      key: 'ok',
      message: `Really ${item}?`,
      requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
    });
    return `${String(name.content?.name)} said ${String(ok.content?.ok)} to ${item}`;
  },
});

const destroy = defineTool({
  name: 'destroy',
  description: 'Destructive: asks for a confirmation first.',
  input: z.object({}),
  annotations: { destructiveHint: true },
  run: async (_args, ctx) => {
    const answer = await ctx.elicit({
      key: 'ok',
      message: 'Destroy?',
      requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
    });
    return `destroyed: ${answer.action}`;
  },
});

type Answer = {
  status: number;
  id?: number;
  // biome-ignore lint/suspicious/noExplicitAny: results read field by field in assertions
  result?: Record<string, any>;
  error?: { code: number; message: string; data?: Record<string, unknown> };
};

describe('multi-round tool calls (input_required) without sessions', () => {
  let aws: LocalAws;
  let endpoint: McpEndpoint;
  let key: string;
  let otherKey: string;
  const audit = collectingAuditSink();

  before(async () => {
    aws = await startLocalAws();
    const tableName = await aws.createTable();
    const auditTable = `audit-${randomUUID()}`;
    await ensureAuditTable(aws.dynamodb, auditTable);
    await aws.putSecret(`${PREFIX}request-state-key`, STATE_KEY);
    key = (await createApiKey({ client: aws.dynamodb, tableName }, { agentId: 'mrtr-agent', scopes: ['*'] })).key;
    otherKey = (await createApiKey({ client: aws.dynamodb, tableName }, { agentId: 'other-agent', scopes: ['*'] })).key;
    endpoint = createMcpApp({
      config: loadConfig({
        REGISTRY_TABLE_NAME: tableName,
        AUDIT_TABLE_NAME: auditTable,
        SECRETS_PREFIX: PREFIX,
        SERVER_NAME: 'mcp-test',
      }),
      dynamodb: aws.dynamodb,
      secretsManager: aws.secretsManager,
      codeTools: [confirmStep, destroy],
      logger: captureLogs().logger,
      audit,
    });
  });
  after(() => aws.stop());

  async function call(
    name: string,
    params: Record<string, unknown>,
    options: { legacy?: boolean; capabilities?: Record<string, unknown>; key?: string } = {},
  ): Promise<Answer> {
    const body = options.legacy
      ? { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, ...params } }
      : {
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: {
            name,
            ...params,
            _meta: {
              'io.modelcontextprotocol/protocolVersion': '2026-07-28',
              'io.modelcontextprotocol/clientCapabilities': options.capabilities ?? { elicitation: {} },
            },
          },
        };
    const response = await postMcp(endpoint, options.key ?? key, body, {
      headers: options.legacy
        ? { 'mcp-protocol-version': '2025-11-25' }
        : { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name },
    });
    return { status: response.statusCode, ...JSON.parse(response.body) };
  }

  const accept = (content: Record<string, unknown>) => ({ action: 'accept', content });

  it('asks round by round, resumes from the sealed state, and audits each round', async () => {
    audit.records.length = 0;
    const args = { arguments: { item: 'ship it' } };
    const first = await call('confirm_step', args);
    assert.equal(first.result?.resultType, 'input_required');
    assert.deepEqual(Object.keys(first.result?.inputRequests), ['name']);
    assert.equal(first.result?.inputRequests.name.method, 'elicitation/create');
    assert.equal(typeof first.result?.requestState, 'string');

    const second = await call('confirm_step', {
      ...args,
      inputResponses: { name: accept({ name: 'Ada' }) },
      requestState: first.result?.requestState,
    });
    assert.deepEqual(Object.keys(second.result?.inputRequests), ['ok']);
    assert.notEqual(second.result?.requestState, first.result?.requestState);

    const third = await call('confirm_step', {
      ...args,
      inputResponses: { ok: accept({ ok: true }), name: accept({ name: 'Mallory' }) },
      requestState: second.result?.requestState,
    });
    assert.equal(third.result?.resultType, 'complete');
    assert.equal(third.result?.content[0].text, 'Ada said true to ship it', 'earlier answers come from the state');
    assert.deepEqual(
      audit.records.map((r) => [r.outcome, r.inputRound, r.inputRequests]),
      [
        ['input_required', 1, ['name']],
        ['input_required', 2, ['ok']],
        ['success', 3, undefined],
      ],
    );
  });

  it('refuses forged, expired, transplanted and replayed states, each with its own reason', async () => {
    const args = { arguments: { item: 'x' } };
    const first = await call('confirm_step', args);
    const state = first.result?.requestState as string;
    const retry = (requestState: string, extra: Record<string, unknown> = {}, options = {}) =>
      call(
        'confirm_step',
        { ...args, inputResponses: { name: accept({ name: 'A' }) }, requestState, ...extra },
        options,
      );
    const reasonOf = (answer: Answer) => {
      assert.equal(answer.error?.code, -32602, JSON.stringify(answer));
      return answer.error?.data?.reason;
    };

    const [id, payload, mac] = state.split('.') as [string, string, string];
    const changed = JSON.parse(Buffer.from(payload, 'base64url').toString()) as RequestStatePayload;
    changed.answers = { name: accept({ name: 'forged' }) };
    assert.equal(
      reasonOf(await retry(`${id}.${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${mac}`)),
      'forged',
    );
    assert.equal(reasonOf(await retry(`${state}-TAMPERED`)), 'forged');
    assert.equal(reasonOf(await retry('not-a-state')), 'malformed');

    const keys = parseRequestStateKeys(STATE_KEY);
    const base = JSON.parse(Buffer.from(payload, 'base64url').toString()) as RequestStatePayload;
    const expired = sealRequestState({ ...base, id: 'expired-1', exp: Math.floor(Date.now() / 1000) - 1 }, keys);
    assert.equal(reasonOf(await retry(expired)), 'expired');
    // Signed with the older key, still listed: a rotation does not break calls in flight.
    const older = sealRequestState({ ...base, id: 'older-1' }, { ...keys, signingId: 'k1' });
    assert.equal((await retry(older)).result?.resultType, 'input_required');

    assert.equal(reasonOf(await retry(state, { arguments: { item: 'y' } })), 'transplanted');
    assert.equal(reasonOf(await retry(state, {}, { key: otherKey })), 'transplanted');

    assert.equal((await retry(state)).result?.resultType, 'input_required');
    assert.equal(reasonOf(await retry(state)), 'replayed');
  });

  it('takes the answers of a first call for a harmless tool, but a destructive one must have asked itself', async () => {
    const ephemeral = await call('confirm_step', {
      arguments: { item: 'z' },
      inputResponses: { name: accept({ name: 'B' }), ok: accept({ ok: false }), extra: accept({}) },
    });
    assert.equal(ephemeral.result?.content[0].text, 'B said false to z');
    const prefilled = await call('destroy', { arguments: {}, inputResponses: { ok: accept({ ok: true }) } });
    assert.equal(prefilled.result?.resultType, 'input_required');
  });

  it('tells a legacy client, and a client without the capability, what the tool needed', async () => {
    const legacy = await call('confirm_step', { arguments: { item: 'x' } }, { legacy: true });
    assert.equal(legacy.result?.isError, true);
    assert.equal(legacy.result?.structuredContent.error.code, 'INPUT_UNAVAILABLE');
    assert.match(legacy.result?.content[0].text, /needs the user's answer \(elicitation\).*2026-07-28/);
    const modern = await call('confirm_step', { arguments: { item: 'x' } }, { capabilities: { sampling: {} } });
    assert.equal(modern.result?.structuredContent.error.code, 'INPUT_UNAVAILABLE');
    assert.match(modern.result?.content[0].text, /does not declare the "elicitation" client capability/);
  });

  it('refuses inputResponses that are not an object with -32602', async () => {
    const answer = await call('confirm_step', { arguments: { item: 'x' }, inputResponses: null });
    assert.equal(answer.error?.code, -32602);
  });
});
