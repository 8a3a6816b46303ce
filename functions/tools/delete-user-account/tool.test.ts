import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createLogger, runTool, type StubServer, startStubServer, TEST_PRINCIPAL } from 'mcp-cluster/tools';
import { type DemoUpstreams, startDemoUpstreams } from '../../../infra/local/demo-upstreams.js';
import deleteUserAccount from './tool.js';

type Output = { userId: string; deleted: true; deletedAt: string };

const WEATHER_KEY = 'weather-test-key-123';
const DIRECTORY_KEY = 'directory-test-key-456';
const REASON = 'User asked to close their account in ticket 8812';

function secretFor(baseUrl: string, apiKey = DIRECTORY_KEY): { directory: string } {
  return { directory: JSON.stringify({ apiKey, baseUrl }) };
}

describe('delete_user_account', () => {
  let upstreams: DemoUpstreams;
  let directory: { directory: string };
  const stubs: StubServer[] = [];

  async function stub(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<StubServer> {
    const server = await startStubServer(handler);
    stubs.push(server);
    return server;
  }

  function answering(status: number): Promise<StubServer> {
    return stub((request, response) => {
      request.resume();
      response.writeHead(status).end();
    });
  }

  before(async () => {
    upstreams = await startDemoUpstreams({ apiKeys: { weather: WEATHER_KEY, directory: DIRECTORY_KEY } });
    directory = secretFor(`${upstreams.url}/directory`);
  });

  after(async () => {
    await Promise.all([upstreams.close(), ...stubs.map((server) => server.close())]);
  });

  it('declares itself destructive, idempotent, open-world and behind the users:admin scope', () => {
    assert.equal(deleteUserAccount.name, 'delete_user_account');
    assert.deepEqual(deleteUserAccount.scopes, ['users:admin']);
    assert.deepEqual(deleteUserAccount.secrets, { directory: 'user-directory' });
    assert.deepEqual(deleteUserAccount.annotations, {
      title: 'Delete user account',
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: true,
    });
  });

  it('deletes an existing account and records who asked and why', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', write: (line) => lines.push(line) });
    const principal = { ...TEST_PRINCIPAL, agentId: 'support-bot', onBehalfOf: 'alice@example.com' };
    const startedAt = Date.now();

    const output = await runTool<Output>(
      deleteUserAccount,
      { userId: 'u-1003', reason: REASON },
      { secrets: directory, principal, logger },
    );

    assert.equal(output.userId, 'u-1003');
    assert.equal(output.deleted, true);
    assert.ok(Date.parse(output.deletedAt) >= startedAt - 1000);
    assert.equal(output.deletedAt, new Date(output.deletedAt).toISOString());
    assert.ok(!upstreams.users().includes('u-1003'));
    assert.ok(upstreams.users().includes('u-1004'));
    const record = upstreams.deletions().at(-1);
    assert.deepEqual(
      {
        userId: record?.userId,
        reason: record?.reason,
        requestedBy: record?.requestedBy,
        onBehalfOf: record?.onBehalfOf,
      },
      { userId: 'u-1003', reason: REASON, requestedBy: 'support-bot', onBehalfOf: 'alice@example.com' },
    );
    assert.equal(lines.length, 1);
    const logged = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.equal(logged['userId'], 'u-1003');
    assert.ok(!(lines[0] as string).includes('ticket 8812'), 'the reason is not logged');
  });

  it('asks the user to confirm when the client can ask, and deletes nothing unless they do', async () => {
    const asked: { key?: string; message: string }[] = [];
    const askingClient = (answer: { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> }) => ({
      secrets: directory,
      canAsk: (kind: string) => kind === 'elicitation',
      elicit: async (request: { key?: string; message: string }) => {
        asked.push(request);
        return answer;
      },
    });
    await assert.rejects(
      runTool(deleteUserAccount, { userId: 'u-1005', reason: REASON }, askingClient({ action: 'decline' })),
      { code: 'NOT_CONFIRMED' },
    );
    await assert.rejects(
      runTool(
        deleteUserAccount,
        { userId: 'u-1005', reason: REASON },
        askingClient({ action: 'accept', content: { confirm: false } }),
      ),
      { code: 'NOT_CONFIRMED' },
    );
    assert.ok(upstreams.users().includes('u-1005'), 'nothing was deleted');
    const output = await runTool<Output>(
      deleteUserAccount,
      { userId: 'u-1005', reason: REASON },
      askingClient({ action: 'accept', content: { confirm: true } }),
    );
    assert.equal(output.deleted, true);
    assert.equal(asked[0]?.key, 'confirm_deletion');
    assert.match(asked[0]!.message, /u-1005.*cannot be undone/);
  });

  it('sends a DELETE with the bearer key and a JSON body to the encoded user path', async () => {
    let seen: { method?: string; url?: string; authorization?: string; contentType?: string; body: string } | undefined;
    const server = await stub((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        seen = {
          method: request.method,
          url: request.url,
          authorization: request.headers.authorization,
          contentType: request.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        };
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    const output = await runTool<Output>(
      deleteUserAccount,
      { userId: 'u-555', reason: REASON },
      { secrets: secretFor(`${server.url}/api/`) },
    );
    assert.equal(output.deleted, true);
    assert.equal(seen?.method, 'DELETE');
    assert.equal(seen?.url, '/api/users/u-555');
    assert.equal(seen?.authorization, `Bearer ${DIRECTORY_KEY}`);
    assert.match(seen?.contentType ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(seen?.body ?? ''), { reason: REASON, requestedBy: 'test-agent' });
  });

  it('reports an unknown account, or one already deleted, with USER_NOT_FOUND', async () => {
    await assert.rejects(runTool(deleteUserAccount, { userId: 'u-999999', reason: REASON }, { secrets: directory }), {
      name: 'ToolError',
      code: 'USER_NOT_FOUND',
      retryable: false,
    });
    await runTool(deleteUserAccount, { userId: 'u-1007', reason: REASON }, { secrets: directory });
    await assert.rejects(runTool(deleteUserAccount, { userId: 'u-1007', reason: REASON }, { secrets: directory }), {
      code: 'USER_NOT_FOUND',
      message: /already have been deleted/,
    });
  });

  it('refuses to delete a protected account with USER_PROTECTED', async () => {
    await assert.rejects(runTool(deleteUserAccount, { userId: 'u-1000', reason: REASON }, { secrets: directory }), {
      code: 'USER_PROTECTED',
      retryable: false,
      message: /protected.*human administrator/,
    });
    assert.ok(upstreams.users().includes('u-1000'));
  });

  it('reports a wrong key as UPSTREAM_AUTH_FAILED and deletes nothing', async () => {
    const before = upstreams.users();
    const wrongKey = secretFor(`${upstreams.url}/directory`, WEATHER_KEY);
    await assert.rejects(runTool(deleteUserAccount, { userId: 'u-1001', reason: REASON }, { secrets: wrongKey }), {
      code: 'UPSTREAM_AUTH_FAILED',
      retryable: false,
    });
    assert.deepEqual(upstreams.users(), before);
  });

  it('reports a 500, a 429 or an unreachable directory as UPSTREAM_UNAVAILABLE, retryable', async () => {
    for (const status of [500, 502, 429]) {
      const failing = await answering(status);
      await assert.rejects(
        runTool(deleteUserAccount, { userId: 'u-1001', reason: REASON }, { secrets: secretFor(failing.url) }),
        { code: 'UPSTREAM_UNAVAILABLE', retryable: true, message: new RegExp(`HTTP ${status}`) },
      );
    }
    const closed = await startStubServer(() => undefined);
    await closed.close();
    await assert.rejects(
      runTool(deleteUserAccount, { userId: 'u-1001', reason: REASON }, { secrets: secretFor(closed.url) }),
      { code: 'UPSTREAM_UNAVAILABLE', retryable: true },
    );
  });

  it('lets an abort from ctx.signal propagate instead of turning it into a ToolError', async () => {
    const silent = await stub(() => undefined); // accepts the request, never answers
    const controller = new AbortController();
    const call = runTool(
      deleteUserAccount,
      { userId: 'u-1002', reason: REASON },
      { secrets: secretFor(silent.url), signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(call, (error: Error) => {
      assert.ok(['AbortError', 'TimeoutError'].includes(error.name), error.name);
      return true;
    });
  });

  it('refuses a malformed secret with CREDENTIAL_INVALID without echoing it', async () => {
    const secrets = [
      'dir-key-plain-text',
      JSON.stringify({ apiKey: 42 }),
      JSON.stringify({ apiKey: 'k', baseUrl: 'nope' }),
    ];
    for (const secret of secrets) {
      await assert.rejects(
        runTool(deleteUserAccount, { userId: 'u-1001', reason: REASON }, { secrets: { directory: secret } }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'CREDENTIAL_INVALID');
          assert.equal(error.message, 'The user directory credential is misconfigured; ask an operator to fix it.');
          assert.equal(error.cause, undefined);
          return true;
        },
      );
    }
    assert.ok(upstreams.users().includes('u-1001'));
  });

  it('rejects malformed ids and too short or too long reasons at the schema, naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ userId: '1001', reason: REASON }, 'userId'],
      [{ userId: 'u-12', reason: REASON }, 'userId'],
      [{ userId: 'u-1234567890123', reason: REASON }, 'userId'],
      [{ userId: 'u-1001/../admin', reason: REASON }, 'userId'],
      [{ userId: 'alice@example.com', reason: REASON }, 'userId'],
      [{ userId: 'u-1001', reason: 'because' }, 'reason'],
      [{ userId: 'u-1001', reason: `   short    ` }, 'reason'],
      [{ userId: 'u-1001', reason: 'x'.repeat(501) }, 'reason'],
      [{ userId: 'u-1001' }, 'reason'],
    ];
    for (const [args, field] of cases) {
      const parsed = deleteUserAccount.input.safeParse(args);
      assert.equal(parsed.success, false, JSON.stringify(args));
      assert.deepEqual(parsed.error?.issues[0]?.path, [field], JSON.stringify(args));
    }
    const badId = deleteUserAccount.input.safeParse({ userId: 'bob', reason: REASON });
    assert.match(badId.error?.issues[0]?.message ?? '', /"u-" followed by 3 to 12 digits/);
  });
});
