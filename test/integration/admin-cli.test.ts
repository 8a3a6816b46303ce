/**
 * The admin CLI in-process (`runCli` with captured stdio): argument handling, exit codes, target resolution (local
 * cluster file, explicit tables, a deployed stack's CloudFormation outputs) against dynalite, the local Secrets
 * Manager and a loopback CloudFormation endpoint answering DescribeStacks. The e2e test runs the real binary.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { promptModules } from '../../functions/prompts/index.generated.js';
import { resourceModules } from '../../functions/resources/index.generated.js';
import { runCli } from '../../infra/cli/cli.js';
import { resolveTarget, STACK_OUTPUTS } from '../../infra/cli/target.js';
import { parseDuration, parseTime } from '../../infra/cli/time.js';
import { ensureAuditTable } from '../../infra/local/dynamodb.js';
import { syncCodeManifests } from '../../shared/registry/sync.js';
import { closedPortUrl, type LocalAws, startLocalAws } from '../helpers/aws.js';

const NOW = new Date('2030-06-15T12:00:00.000Z');
const STACK = 'McpCluster-clitest';
const BARE_STACK = 'McpCluster-bare';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A loopback CloudFormation (query protocol) that knows two stacks: one with the cluster's outputs, one without. */
async function startCloudFormation(outputs: Record<string, string>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const name = params.get('StackName') ?? '';
      res.setHeader('content-type', 'text/xml');
      if (params.get('Action') !== 'DescribeStacks' || (name !== STACK && name !== BARE_STACK)) {
        res.statusCode = 400;
        res.end(
          '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>' +
            `<Code>ValidationError</Code><Message>Stack with id ${name} does not exist</Message></Error>` +
            '<RequestId>1</RequestId></ErrorResponse>',
        );
        return;
      }
      const members = Object.entries(name === STACK ? outputs : {})
        .map(([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`)
        .join('');
      res.end(
        '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult>' +
          `<Stacks><member><StackName>${name}</StackName><StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/${name}/1</StackId>` +
          '<CreationTime>2030-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>' +
          `<Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult>` +
          '<ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></DescribeStacksResponse>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('admin CLI (in-process)', () => {
  let aws: LocalAws;
  let registryTable: string;
  const auditTable = 'cli-audit';
  let cloudFormation: { url: string; server: Server };
  let workDir: string;
  const savedEnv = { ...process.env };

  before(async () => {
    aws = await startLocalAws();
    registryTable = await aws.createTable();
    await ensureAuditTable(aws.dynamodb, auditTable);
    cloudFormation = await startCloudFormation({
      [STACK_OUTPUTS.registryTable]: registryTable,
      [STACK_OUTPUTS.auditTable]: auditTable,
      [STACK_OUTPUTS.secretsPrefix]: 'mcp-cluster/clitest/',
    });
    workDir = mkdtempSync(join(tmpdir(), 'mcp-cluster-cli-'));
    // Deployed targets use the SDK's default chain: point it at the loopback services, away from any real profile.
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_CONFIG_FILE: join(workDir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-credentials'),
      AWS_ENDPOINT_URL_DYNAMODB: aws.dynamoDbEndpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.secretsManagerEndpoint,
      AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
  });

  after(async () => {
    process.env = savedEnv;
    await new Promise<void>((resolve) => cloudFormation.server.close(() => resolve()));
    await aws.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function cli(args: string[], options: { input?: string; cwd?: string } = {}): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      stdin: Readable.from(options.input === undefined ? [] : [Buffer.from(options.input)]),
      env: {},
      cwd: options.cwd ?? workDir,
      now: () => NOW,
    });
    return { code, stdout, stderr };
  }

  describe('times', () => {
    it('reads durations back from now for --since and forward for --expires', () => {
      assert.equal(parseTime('1h', { now: NOW, direction: 'past' }).toISOString(), '2030-06-15T11:00:00.000Z');
      assert.equal(parseTime('30m', { now: NOW, direction: 'past' }).toISOString(), '2030-06-15T11:30:00.000Z');
      assert.equal(parseTime('7d', { now: NOW, direction: 'past' }).toISOString(), '2030-06-08T12:00:00.000Z');
      assert.equal(parseTime('30d', { now: NOW, direction: 'future' }).toISOString(), '2030-07-15T12:00:00.000Z');
      assert.equal(parseTime('12h', { now: NOW, direction: 'future' }).toISOString(), '2030-06-16T00:00:00.000Z');
      assert.equal(parseTime('now', { now: NOW, direction: 'past' }).toISOString(), NOW.toISOString());
      assert.equal(parseDuration('15m'), 900_000);
      assert.equal(parseDuration('2w'), 14 * 86_400_000);
    });

    it('reads ISO dates (midnight UTC) and date-times with an offset', () => {
      assert.equal(
        parseTime('2030-12-31', { now: NOW, direction: 'future' }).toISOString(),
        '2030-12-31T00:00:00.000Z',
      );
      assert.equal(
        parseTime('2030-12-31T18:30:00+02:00', { now: NOW, direction: 'future' }).toISOString(),
        '2030-12-31T16:30:00.000Z',
      );
    });

    it('refuses what is neither, with a message that says what works', () => {
      for (const text of ['30', '2x', '1 day', '', '2030-02-31', '2030-13-01', 'yesterday']) {
        assert.throws(() => parseTime(text, { now: NOW, direction: 'past' }), /use a duration \(30d, 12h, 15m\)/);
      }
      assert.equal(parseDuration('0m'), undefined);
    });
  });

  describe('usage', () => {
    it('prints the overview for --help and a command\'s options for "<command> --help", exit 0', async () => {
      const overview = await cli(['--help']);
      assert.equal(overview.code, 0);
      for (const command of ['keys create', 'keys list', 'keys revoke', 'tools update', 'audit query', 'secrets put']) {
        assert.ok(overview.stdout.includes(command), command);
      }
      const help = await cli(['tools', 'update', '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage: mcp-cluster tools update NAME/);
      assert.match(help.stdout, /--reset-description/);
      assert.equal((await cli(['help', 'audit', 'query'])).code, 0);
    });

    it('exits 2 with the message and the usage for an unknown flag, command or missing argument', async () => {
      const cases: [string[], RegExp][] = [
        [['keys', 'create', '--agent', 'a', '--scopes', 'b', '--colour', 'red'], /unknown option --colour/],
        [['keys', 'list', '--scopes', 'a'], /unknown option --scopes/],
        [['keys', 'create', '--scopes', 'a'], /--agent is required/],
        [['keys', 'create', '--agent'], /--agent needs a value/],
        [['keys', 'revoke'], /missing KEY_ID/],
        [['keys', 'revoke', 'a', 'b'], /unexpected argument "b"/],
        [['keys', 'rotate'], /unknown command "keys rotate"/],
        [['keys'], /"keys" needs a command/],
        [['frobnicate'], /unknown command "frobnicate"/],
        [[], /no command given/],
        [['tools', 'update', 'calculate'], /nothing to update/],
        [['tools', 'update', 'calculate', '--description', 'x', '--reset-description'], /not both/],
        [['secrets', 'put', 'weather-api', 'the-value'], /read from stdin, never from an argument/],
        [['keys', 'list', '--stack', STACK, '--registry-table', 't'], /--stack reads the table names/],
        [['keys', 'list', '--region', 'eu-west-1'], /--region applies to a deployed target/],
      ];
      for (const [args, message] of cases) {
        const run = await cli(args);
        assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, message);
        assert.match(run.stderr, /Usage: mcp-cluster/);
        assert.doesNotMatch(run.stderr, /\n\s+at /, 'a stack trace');
        assert.equal(run.stdout, '');
      }
    });

    it("exits 2 with the message and a pointer to the command's --help, not its usage, for a value it refuses", async () => {
      const cases: [string[], RegExp, string][] = [
        [
          ['keys', 'create', '--agent', 'a', '--scopes', 'b', '--expires', 'soon'],
          /--expires: "soon" is not a time/,
          'keys create',
        ],
        [
          ['keys', 'create', '--agent', 'a', '--scopes', 'b', '--rate-limit', 'lots'],
          /--rate-limit: Invalid rate limit/,
          'keys create',
        ],
        [['audit', 'query', '--limit', 'ten'], /--limit "ten" is not a positive whole number/, 'audit query'],
        [['audit', 'query', '--since', '1h', '--until', '2h'], /must be before --until/, 'audit query'],
      ];
      for (const [args, message, command] of cases) {
        const run = await cli(args);
        assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, message);
        assert.ok(run.stderr.endsWith(`\nRun "mcp-cluster ${command} --help" for the options.\n`), run.stderr);
        assert.equal(run.stderr.split('\n').length, 3, run.stderr);
        assert.equal(run.stdout, '');
      }
    });
  });

  describe('the local cluster target', () => {
    it('says to start the cluster when its state folder has no cluster.json, exit 1', async () => {
      const run = await cli(['keys', 'list', '--local-dir', join(workDir, 'nowhere')]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /The local cluster is not running: start it with npm start/);
      assert.doesNotMatch(run.stderr, /Usage:/);
      await assert.rejects(resolveTarget({}, {}, join(workDir, 'nowhere')), /start it with npm start/);
    });

    it('reads the endpoints and names from cluster.json, honouring MCP_LOCAL_DIR', async () => {
      const dir = join(workDir, 'local');
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'cluster.json'),
        JSON.stringify({
          url: 'http://127.0.0.1:1/mcp',
          region: 'us-east-1',
          dynamodbEndpoint: aws.dynamoDbEndpoint,
          secretsManagerEndpoint: aws.secretsManagerEndpoint,
          registryTable,
          auditTable,
          secretsPrefix: 'mcp-cluster/local/',
        }),
      );
      const target = await resolveTarget({}, { MCP_LOCAL_DIR: dir }, workDir);
      try {
        assert.equal(target.kind, 'local');
        assert.equal(target.registry().tableName, registryTable);
        assert.equal(target.secrets().prefix, 'mcp-cluster/local/');
      } finally {
        target.close();
      }
      const run = await cli([
        'keys',
        'create',
        '--agent',
        'local-agent',
        '--scopes',
        'a',
        '--local-dir',
        dir,
        '--json',
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(JSON.parse(run.stdout).agentId, 'local-agent');
    });

    it('says the cluster cannot be reached when cluster.json is stale, and shows a stack trace only with --debug', async () => {
      const dir = join(workDir, 'stale');
      mkdirSync(dir, { recursive: true });
      const closed = await closedPortUrl();
      writeFileSync(
        join(dir, 'cluster.json'),
        JSON.stringify({
          url: `${closed}/mcp`,
          region: 'us-east-1',
          dynamodbEndpoint: closed,
          secretsManagerEndpoint: closed,
          registryTable: 'r',
          auditTable: 'a',
          secretsPrefix: 'p/',
        }),
      );
      const run = await cli(['tools', 'list', '--local-dir', dir]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /Cannot reach the local cluster .*is npm start still running\?/);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
      const debug = await cli(['tools', 'list', '--local-dir', dir, '--debug']);
      assert.equal(debug.code, 1);
      assert.match(debug.stderr, /\n\s+at /);
    });
  });

  describe('a deployed stack target', () => {
    it("reads the tables and the secrets prefix from the stack's outputs", async () => {
      const target = await resolveTarget({ stack: STACK, region: 'us-east-1' });
      try {
        assert.equal(target.kind, 'stack');
        assert.equal(target.label, `stack ${STACK} (us-east-1)`);
        assert.equal(target.registry().tableName, registryTable);
        assert.equal(target.audit().tableName, auditTable);
        assert.equal(target.secrets().prefix, 'mcp-cluster/clitest/');
      } finally {
        target.close();
      }
    });

    it('creates, lists and revokes keys and stores secrets in the stack', async () => {
      const stack = ['--stack', STACK, '--region', 'us-east-1'];
      const created = await cli([
        'keys',
        'create',
        '--agent',
        'stack-agent',
        '--scopes',
        'x,y',
        '--expires',
        '30d',
        ...stack,
      ]);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /key\s+mcpk_[A-Za-z0-9_-]{43}/);
      assert.match(created.stdout, new RegExp(`stack ${STACK}`));
      assert.match(created.stdout, /expires\s+2030-07-15 12:00:00Z/);
      assert.match(created.stderr, /cannot be shown again/);

      const listed = await cli(['keys', 'list', '--json', ...stack]);
      const key = (JSON.parse(listed.stdout).keys as { agentId: string; keyId: string }[]).find(
        (k) => k.agentId === 'stack-agent',
      );
      assert.ok(key);
      const revoked = await cli(['keys', 'revoke', key.keyId, ...stack]);
      assert.equal(revoked.code, 0, revoked.stderr);
      const again = await cli(['keys', 'revoke', key.keyId, ...stack]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already revoked/);

      const put = await cli(['secrets', 'put', 'stack-secret', ...stack], { input: 'stack-value-123\n' });
      assert.equal(put.code, 0, put.stderr);
      assert.match(put.stdout, /mcp-cluster\/clitest\/stack-secret/);
      const stored = await aws.secretsManager.send(
        new GetSecretValueCommand({ SecretId: 'mcp-cluster/clitest/stack-secret' }),
      );
      assert.equal(stored.SecretString, 'stack-value-123');
    });

    it('lists, disables, re-scopes and enables resources and prompts in the stack', async () => {
      const stack = ['--stack', STACK, '--region', 'us-east-1'];
      const table = { client: aws.dynamodb, tableName: registryTable };
      await syncCodeManifests(table, [], new Date(), {
        resources: resourceModules.map((m) => m.resource),
        prompts: promptModules.map((m) => m.prompt),
      });
      const listed = await cli(['resources', 'list', '--json', ...stack]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(
        (JSON.parse(listed.stdout).resources as { name: string }[]).map((r) => r.name),
        ['tool_catalog', 'user_profile'],
      );
      const disabled = await cli(['resources', 'disable', 'user_profile', ...stack]);
      assert.equal(disabled.code, 0, disabled.stderr);
      assert.match(disabled.stdout, /Disabled resource user_profile/);
      const updated = await cli([
        'prompts',
        'update',
        'weather_briefing',
        '--scopes',
        'travel',
        '--rate-limit',
        '5/min',
        ...stack,
      ]);
      assert.equal(updated.code, 0, updated.stderr);
      assert.match(updated.stdout, /scopes\s+travel \(policy; the code's: weather:read\)/);
      const prompts = await cli(['prompts', 'list', ...stack]);
      assert.match(prompts.stdout, /weather_briefing\s+yes\s+travel\*\s+5\/min/);
      const tools = await cli(['tools', 'list', '--json', ...stack]);
      assert.ok(!tools.stdout.includes('user_profile'), 'tools list shows tools only');
      const unknown = await cli(['resources', 'enable', 'no_such_resource', ...stack]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /No resource named "no_such_resource"/);
      assert.equal((await cli(['resources', 'enable', 'user_profile', ...stack])).code, 0);
    });

    it('says so when the stack does not exist or is not an mcp-cluster stack, exit 1', async () => {
      const missing = await cli(['keys', 'list', '--stack', 'McpCluster-nope', '--region', 'us-east-1']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Stack McpCluster-nope was not found in us-east-1/);
      const bare = await cli(['keys', 'list', '--stack', BARE_STACK, '--region', 'us-east-1']);
      assert.equal(bare.code, 1);
      assert.match(bare.stderr, /has no RegistryTableName output/);
    });
  });

  describe('explicit table names', () => {
    it('works with only the table a command needs, and names the flag a command is missing', async () => {
      const registryOnly = ['--registry-table', registryTable, '--region', 'us-east-1'];
      const listed = await cli(['keys', 'list', '--json', ...registryOnly]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.ok(Array.isArray(JSON.parse(listed.stdout).keys));
      const audit = await cli(['audit', 'query', ...registryOnly]);
      assert.equal(audit.code, 1);
      assert.match(audit.stderr, /does not name an audit table: pass --audit-table/);
      const query = await cli(['audit', 'query', '--audit-table', auditTable, '--region', 'us-east-1', '--json']);
      assert.equal(query.code, 0, query.stderr);
      assert.deepEqual(JSON.parse(query.stdout).records, []);
    });

    it('treats a value the registry refuses (a bad agent id or scope) as bad usage, exit 2', async () => {
      const registry = ['--registry-table', registryTable, '--region', 'us-east-1'];
      const badAgent = await cli(['keys', 'create', '--agent', 'bad agent', '--scopes', 'a', ...registry]);
      assert.equal(badAgent.code, 2);
      assert.match(badAgent.stderr, /Invalid agent id "bad agent"/);
      assert.match(badAgent.stderr, /Run "mcp-cluster keys create --help" for the options\./);
      assert.doesNotMatch(badAgent.stderr, /Usage:/);
      const badScope = await cli(['keys', 'create', '--agent', 'ok', '--scopes', 'a,"b"', ...registry]);
      assert.equal(badScope.code, 2);
      assert.match(badScope.stderr, /Invalid scope/);
    });

    it('reports a table that does not exist as an operational failure, exit 1', async () => {
      const run = await cli(['tools', 'list', '--registry-table', 'no-such-table', '--region', 'us-east-1']);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /a table was not found/);
    });
  });
});
