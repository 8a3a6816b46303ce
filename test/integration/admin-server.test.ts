/**
 * The admin API (shared/admin/admin-server.ts, as functions/admin/handler.ts wires it) behind a loopback HTTP server
 * that turns requests into API Gateway proxy events as the local front does, on dynalite and the local Secrets
 * Manager; then the real CLI (`runCli`) in remote mode (`--endpoint`) against it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { runCli } from '../../infra/cli/cli.js';
import { ensureAuditTable } from '../../infra/local/dynamodb.js';
import { toProxyEvent } from '../../infra/local/front.js';
import { type AdminTargets, createDirectAdminApi, PLATFORM_SCOPE } from '../../shared/admin/admin-api.js';
import { adminUrlFor } from '../../shared/admin/admin-api-client.js';
import { createAdminServer } from '../../shared/admin/admin-server.js';
import { createApiKeyVerifier } from '../../shared/auth/api-keys.js';
import { fromApiGatewayEvent, toApiGatewayResult } from '../../shared/mcp/api-gateway.js';
import { syncCodeManifests } from '../../shared/registry/sync.js';
import type { ToolDefinition } from '../../shared/tools/define-tool.js';
import { type CapturedLogs, captureLogs, closedPortUrl, type LocalAws, startLocalAws } from '../helpers/aws.js';

const PREFIX = 'mcp-cluster/admin-test/';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: { result?: unknown; error?: { code: string; message: string; issues?: { path: string }[] } };
}

describe('the admin API (loopback, dynalite, local Secrets Manager)', () => {
  let aws: LocalAws;
  let server: Server;
  let url: string;
  let logs: CapturedLogs;
  let targets: AdminTargets;
  let registryTable: string;
  let acmeKey: string;
  let globexKey: string;
  let agentKey: string;
  let workDir: string;

  before(async () => {
    aws = await startLocalAws();
    registryTable = await aws.createTable();
    const auditTable = `audit-${randomUUID().slice(0, 8)}`;
    await ensureAuditTable(aws.dynamodb, auditTable);
    targets = {
      registry: () => ({ client: aws.dynamodb, tableName: registryTable }),
      audit: () => ({ client: aws.dynamodb, tableName: auditTable }),
      secrets: () => ({ client: aws.secretsManager, prefix: PREFIX }),
    };
    const calculate = { name: 'calculate', scopes: [], description: 'Adds.' } as unknown as ToolDefinition;
    await syncCodeManifests(targets.registry(), [calculate], new Date());
    const platform = createDirectAdminApi(targets, PLATFORM_SCOPE);
    await platform.updateTenant({ tenant: 'acme', update: { grantableScopes: ['calc', 'a'] } });
    acmeKey = (await platform.createKey({ agentId: 'acme-admin', tenant: 'acme', role: 'tenant-admin' })).key;
    globexKey = (await platform.createKey({ agentId: 'globex-admin', tenant: 'globex', role: 'tenant-admin' })).key;
    agentKey = (await platform.createKey({ agentId: 'acme-bot', tenant: 'acme', scopes: ['*'] })).key;

    logs = captureLogs({ level: 'debug' });
    const admin = createAdminServer({
      targets,
      apiKeys: createApiKeyVerifier({ ...targets.registry(), ttlMs: 0, logger: logs.logger, role: 'tenant-admin' }),
      logger: logs.logger,
    });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const event = toProxyEvent(req, Buffer.concat(chunks), '/admin');
        const result = toApiGatewayResult(
          await admin(fromApiGatewayEvent(event, { getRemainingTimeInMillis: () => 30_000 })),
        );
        res.writeHead(result.statusCode, result.headers as Record<string, string>);
        res.end(result.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin`;
    workDir = mkdtempSync(join(tmpdir(), 'mcp-cluster-admin-'));
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await aws.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function post(body: unknown, key = acmeKey, method = 'POST'): Promise<Answer> {
    const response = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      ...(method === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
  }

  describe('authentication', () => {
    it('answers a request without a key, or with a malformed header, 400/401 with a JSON error', async () => {
      const none = await post({ operation: 'keys.list' }, '');
      assert.equal(none.status, 401);
      assert.equal(none.body.error?.code, 'UNAUTHENTICATED');
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer /);
      const response = await fetch(url, { method: 'POST', headers: { authorization: 'Basic abc' }, body: '{}' });
      assert.equal(response.status, 401);
    });

    it('refuses an agent key with 403 and says a tenant admin key is needed', async () => {
      const answer = await post({ operation: 'keys.list', input: {} }, agentKey);
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error?.code, 'FORBIDDEN');
      assert.match(answer.body.error?.message ?? '', /agent key: the admin API takes a tenant admin key/);
    });

    it('refuses a JWT and an unknown key with 401', async () => {
      const jwt = await post({ operation: 'keys.list' }, 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln');
      assert.equal(jwt.status, 401);
      assert.match(jwt.body.error?.message ?? '', /not an access token/);
      const unknown = await post({ operation: 'keys.list' }, `mcpk_${'A'.repeat(43)}`);
      assert.equal(unknown.status, 401);
      assert.equal(unknown.body.error?.message, 'The API key is invalid, expired or revoked.');
    });

    it('answers a method other than POST 405 with Allow: POST', async () => {
      const answer = await post(undefined, acmeKey, 'GET');
      assert.equal(answer.status, 405);
      assert.equal(answer.headers.get('allow'), 'POST');
    });
  });

  describe('requests', () => {
    it('answers a body that is not JSON, or an unknown operation, 400 INVALID_REQUEST', async () => {
      const bad = await post('{not json');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error?.code, 'INVALID_REQUEST');
      const unknown = await post({ operation: 'keys.delete-everything', input: {} });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.error?.message ?? '', /keys\.create, keys\.list/);
    });

    it('names the field and why for bad input (400 INVALID_INPUT), before anything runs', async () => {
      const answer = await post({ operation: 'keys.create', input: { agentId: 7, scopes: ['x'], extra: true } });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error?.code, 'INVALID_INPUT');
      assert.match(answer.body.error?.message ?? '', /input\.agentId: .*expected string/);
      assert.deepEqual(answer.body.error?.issues?.map((issue) => issue.path).sort(), ['input', 'input.agentId']);
    });

    it('maps AdminErrors to their status with code and message: 404 KEY_NOT_FOUND, 403 ADMIN_FORBIDDEN', async () => {
      const missing = await post({ operation: 'keys.revoke', input: { keyId: 'key_0000000000000000' } });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body.error, {
        code: 'KEY_NOT_FOUND',
        message: 'No API key with id key_0000000000000000.',
      });
      const shared = await post({
        operation: 'tools.update',
        input: { kind: 'tool', name: 'calculate', update: { rateLimit: null } },
      });
      assert.equal(shared.status, 403);
      assert.equal(shared.body.error?.code, 'ADMIN_FORBIDDEN');
    });

    it("answers the tenant's keys only, and never a hash or a table name", async () => {
      const answer = await post({ operation: 'keys.list', input: {} });
      assert.equal(answer.status, 200);
      const { keys } = answer.body.result as { keys: { tenant: string; role: string }[] };
      assert.ok(keys.length >= 2);
      assert.ok(keys.every((key) => key.tenant === 'acme'));
      assert.doesNotMatch(answer.text, new RegExp(`${registryTable}|APIKEY#|globex`));
    });

    it('stores a secret without its value in the answer or any log line', async () => {
      const value = `s3cr3t-${randomUUID()}`;
      const answer = await post({ operation: 'secrets.put', input: { name: 'billing-api', value } });
      assert.equal(answer.status, 200);
      assert.deepEqual((answer.body.result as { name: string }).name, `${PREFIX}acme/billing-api`);
      assert.doesNotMatch(answer.text, new RegExp(value));
      const stored = await aws.secretsManager.send(
        new GetSecretValueCommand({ SecretId: `${PREFIX}acme/billing-api` }),
      );
      assert.equal(stored.SecretString, value);
      const all = logs.lines.join('\n');
      assert.ok(logs.lines.some((line) => line.includes('"operation":"secrets.put"')));
      for (const leak of [value, acmeKey, globexKey, agentKey, registryTable, 'arn:aws']) {
        assert.ok(!all.includes(leak), `a log line holds ${leak.slice(0, 12)}…`);
      }
    });

    it('answers a failure of its own dependencies 500 with a request id, and logs the error by name only', async () => {
      const broken = createAdminServer({
        targets: { ...targets, audit: () => ({ client: aws.dynamodb, tableName: 'no-such-audit-table' }) },
        apiKeys: createApiKeyVerifier({ ...targets.registry(), ttlMs: 0, logger: logs.logger, role: 'tenant-admin' }),
        logger: logs.logger,
      });
      const before = logs.lines.length;
      const answer = await broken({
        method: 'POST',
        headers: { authorization: `Bearer ${acmeKey}` },
        body: JSON.stringify({ operation: 'audit.query', input: { since: '2020-01-01T00:00:00Z' } }),
        requestId: 'req-1',
      });
      assert.equal(answer.statusCode, 500);
      assert.match(answer.body, /"code":"INTERNAL".*request id req-1/);
      assert.doesNotMatch(answer.body, /no-such-audit-table|stack|at /);
      const lines = logs.lines.slice(before).join('\n');
      assert.match(lines, /"errorName":"ResourceNotFoundException"/);
      assert.doesNotMatch(lines, /no-such-audit-table/);
    });
  });

  describe('the CLI through it (--endpoint)', () => {
    async function cli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
      let stdout = '';
      let stderr = '';
      const code = await runCli(args, {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
        stdin: Readable.from(options.input === undefined ? [] : [Buffer.from(options.input)]),
        env: options.env ?? { MCP_CLUSTER_ADMIN_KEY: acmeKey },
        cwd: workDir,
        now: () => new Date(),
      });
      assert.ok(!stdout.includes(acmeKey) && !stderr.includes(acmeKey), 'the CLI printed the admin key');
      return { code, stdout, stderr };
    }
    const endpoint = () => url.replace(/\/admin$/, '/mcp');

    it('derives the admin URL from the MCP endpoint or the base URL', () => {
      assert.equal(adminUrlFor('https://x.example/dev/mcp'), 'https://x.example/dev/admin');
      assert.equal(adminUrlFor('https://x.example/dev/'), 'https://x.example/dev/admin');
      assert.equal(adminUrlFor('https://mcp.example.com'), 'https://mcp.example.com/admin');
      assert.equal(adminUrlFor('https://x.example/dev/admin?x=1'), 'https://x.example/dev/admin');
    });

    it("creates, lists and revokes the tenant's keys, with the output of direct mode", async () => {
      const created = await cli([
        'keys',
        'create',
        '--agent',
        'remote-bot',
        '--scopes',
        'calc',
        '--endpoint',
        endpoint(),
      ]);
      assert.equal(created.code, 0, created.stderr);
      assert.match(
        created.stdout,
        /Created an API key for agent remote-bot on the admin API at http:\/\/127\.0\.0\.1:\d+\/admin:/,
      );
      assert.match(created.stdout, /tenant\s+acme/);
      const keyId = /key id\s+(key_[0-9a-f]{16})/.exec(created.stdout)?.[1];
      assert.ok(keyId);

      const listed = await cli(['keys', 'list', '--endpoint', endpoint(), '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const { keys } = JSON.parse(listed.stdout) as { keys: { keyId: string; tenant: string; role: string }[] };
      assert.ok(keys.some((key) => key.keyId === keyId));
      assert.ok(keys.every((key) => key.tenant === 'acme'));
      const table = await cli(['keys', 'list', '--endpoint', endpoint()]);
      assert.match(table.stdout, /^KEY ID\s+AGENT\s+TENANT\s+ROLE\s+SCOPES/);
      assert.match(table.stdout, /acme-admin\s+acme\s+tenant-admin\s+-/);

      const foreign = await cli(['keys', 'revoke', keyId, '--endpoint', endpoint()], {
        env: { MCP_CLUSTER_ADMIN_KEY: globexKey },
      });
      assert.equal(foreign.code, 1);
      assert.equal(foreign.stderr, `mcp-cluster: No API key with id ${keyId}.\n`);
      const revoked = await cli(['keys', 'revoke', keyId, '--endpoint', endpoint()]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, new RegExp(`Revoked ${keyId} \\(agent remote-bot, tenant acme\\)`));
    });

    it('refuses what the tenant may not do with the message and exit code of the AdminError', async () => {
      const other = await cli([
        'keys',
        'create',
        '--agent',
        'x',
        '--scopes',
        'a',
        '--tenant',
        'globex',
        '--endpoint',
        endpoint(),
      ]);
      assert.equal(other.code, 1);
      assert.match(other.stderr, /A tenant admin of acme creates keys for acme only, not for globex\./);
      const admin = await cli([
        'keys',
        'create',
        '--agent',
        'x',
        '--admin',
        '--tenant',
        'acme',
        '--endpoint',
        endpoint(),
      ]);
      assert.equal(admin.code, 1);
      assert.match(admin.stderr, /Only the platform operator creates tenant admin keys\./);
      const update = await cli(['tools', 'update', 'calculate', '--rate-limit', '5/min', '--endpoint', endpoint()]);
      assert.equal(update.code, 1);
      assert.match(update.stderr, /The tool calculate is shared by every tenant: only the platform operator/);
      const badScope = await cli(['keys', 'create', '--agent', 'x', '--scopes', 'a"b', '--endpoint', endpoint()]);
      assert.equal(badScope.code, 2);
      assert.match(badScope.stderr, /Invalid scope/);
    });

    it('stores a secret from stdin under the tenant path, lists tools and queries the audit trail', async () => {
      const put = await cli(['secrets', 'put', 'weather-api', '--endpoint', endpoint()], { input: 'remote-value\n' });
      assert.equal(put.code, 0, put.stderr);
      assert.match(put.stdout, new RegExp(`Stored ${PREFIX}acme/weather-api on the admin API at .* \\(new secret\\)`));
      assert.doesNotMatch(put.stdout + put.stderr, /remote-value/);
      const tools = await cli(['tools', 'list', '--endpoint', endpoint(), '--json']);
      assert.equal(tools.code, 0, tools.stderr);
      assert.deepEqual(
        (JSON.parse(tools.stdout) as { tools: { name: string }[] }).tools.map((tool) => tool.name),
        ['calculate'],
      );
      const audit = await cli(['audit', 'query', '--since', '1h', '--endpoint', endpoint()]);
      assert.equal(audit.code, 0, audit.stderr);
      assert.match(audit.stdout, /^No audit records on the admin API at /);
    });

    it('reads the key from --admin-key-file', async () => {
      const file = join(workDir, 'admin-key');
      writeFileSync(file, `${acmeKey}\n`, { mode: 0o600 });
      const listed = await cli(['keys', 'list', '--endpoint', endpoint(), '--admin-key-file', file, '--json'], {
        env: {},
      });
      assert.equal(listed.code, 0, listed.stderr);
    });

    it('is bad usage without a key, with another target flag, or with a key file but no endpoint', async () => {
      const noKey = await cli(['keys', 'list', '--endpoint', endpoint()], { env: {} });
      assert.equal(noKey.code, 2);
      assert.match(noKey.stderr, /--endpoint needs a tenant admin key: set MCP_CLUSTER_ADMIN_KEY/);
      const both = await cli(['keys', 'list', '--endpoint', endpoint(), '--stack', 'McpCluster-dev']);
      assert.equal(both.code, 2);
      assert.match(both.stderr, /--endpoint goes through the admin API: it does not go with --stack/);
      const fileOnly = await cli(['keys', 'list', '--admin-key-file', 'k'], { env: {} });
      assert.equal(fileOnly.code, 2);
      assert.match(fileOnly.stderr, /--admin-key-file goes with --endpoint/);
    });

    it('says so when the admin API cannot be reached, or refuses the key', async () => {
      const closed = await closedPortUrl();
      const down = await cli(['keys', 'list', '--endpoint', `${closed}/mcp`]);
      assert.equal(down.code, 1);
      assert.equal(
        down.stderr,
        `mcp-cluster: Cannot reach the admin API at ${closed}/admin (ECONNREFUSED): check --endpoint\n`,
      );
      const agent = await cli(['keys', 'list', '--endpoint', endpoint()], { env: { MCP_CLUSTER_ADMIN_KEY: agentKey } });
      assert.equal(agent.code, 1);
      assert.match(agent.stderr, /The admin API refused the request: This is an agent key/);
      assert.ok(!agent.stderr.includes(agentKey));
    });
  });
});
