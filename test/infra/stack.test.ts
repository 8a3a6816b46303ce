import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { parseRequestStateKeys } from '../../shared/mcp/input/request-state.js';
import { flatten, functionCode, iamStatements, logicalIdOf, synthCluster } from './synth.js';

/** The default stack: `cdk synth` with no context (stage dev). */
describe('the McpCluster-dev stack', () => {
  let template: Template;
  let mcpFunctionId: string;
  let mcpRoleId: string;
  let registryTableId: string;
  let auditTableId: string;

  before(async () => {
    ({ template } = await synthCluster());
    mcpFunctionId = logicalIdOf(template, 'AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TOOL_TIMEOUT_MS: Match.anyValue() }) },
    });
    const mcpFunction = template.findResources('AWS::Lambda::Function')[mcpFunctionId]!;
    mcpRoleId = mcpFunction.Properties.Role['Fn::GetAtt'][0];
    registryTableId = logicalIdOf(template, 'AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.absent(),
    });
    auditTableId = logicalIdOf(template, 'AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.anyValue(),
    });
  });

  /** The API methods that reach the MCP function (every one but `POST /admin`). */
  const mcpMethods = () =>
    Object.values(template.findResources('AWS::ApiGateway::Method')).filter((method) =>
      flatten(method.Properties.Integration.Uri).includes(`<${mcpFunctionId}.Arn>`),
    );

  describe('API', () => {
    it('is one regional REST API', () => {
      template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
      template.hasResourceProperties('AWS::ApiGateway::RestApi', {
        EndpointConfiguration: { Types: ['REGIONAL'] },
      });
    });

    it('has a stage that throttles, traces with X-Ray, publishes metrics and logs errors but never bodies', () => {
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'dev',
        TracingEnabled: true,
        MethodSettings: [
          Match.objectLike({
            HttpMethod: '*',
            ResourcePath: '/*',
            ThrottlingRateLimit: 100,
            ThrottlingBurstLimit: 200,
            MetricsEnabled: true,
            LoggingLevel: 'ERROR',
            DataTraceEnabled: false,
          }),
        ],
      });
    });

    it('writes JSON access logs to its own log group, which has a retention', () => {
      const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]!;
      const { DestinationArn, Format } = stage.Properties.AccessLogSetting;
      const fields = JSON.parse(Format);
      for (const field of ['requestId', 'ip', 'httpMethod', 'resourcePath', 'status', 'integrationLatency']) {
        assert.ok(field in fields, `access log has ${field}`);
      }
      const logGroupId = /log-group:<(\w+)>/.exec(flatten(DestinationArn))?.[1];
      assert.ok(logGroupId, 'the destination is a log group of the stack');
      template.hasResource('AWS::Logs::LogGroup', {
        Properties: { RetentionInDays: 30 },
        DeletionPolicy: 'Delete',
      });
      assert.equal(template.findResources('AWS::Logs::LogGroup')[logGroupId]?.Properties.RetentionInDays, 30);
    });

    it('routes POST, GET and DELETE /mcp and both protected-resource metadata paths to the MCP function', () => {
      const paths = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
        (r) => r.Properties.PathPart,
      );
      assert.deepEqual(paths.sort(), ['.well-known', 'admin', 'mcp', 'mcp', 'oauth-protected-resource']);
      const methods = mcpMethods();
      assert.deepEqual(methods.map((m) => m.Properties.HttpMethod).sort(), ['DELETE', 'GET', 'GET', 'GET', 'POST']);
      assert.equal(Object.keys(template.findResources('AWS::ApiGateway::Method')).length, methods.length + 1);
      for (const method of methods) {
        assert.equal(method.Properties.Integration.Type, 'AWS_PROXY');
        assert.equal(method.Properties.AuthorizationType, 'NONE');
        assert.match(flatten(method.Properties.Integration.Uri), new RegExp(`<${mcpFunctionId}\\.Arn>`));
      }
    });

    it("streams the MCP function's responses (STREAM transfer mode, response-streaming invocations)", () => {
      for (const method of mcpMethods()) {
        assert.equal(method.Properties.Integration.ResponseTransferMode, 'STREAM');
        assert.match(flatten(method.Properties.Integration.Uri), /response-streaming-invocations/);
      }
    });

    it('waits 300 s for a streamed answer, 1 s longer than the function runs, and holds JSON answers to 28 s', () => {
      const fn = template.findResources('AWS::Lambda::Function')[mcpFunctionId]!.Properties;
      for (const method of mcpMethods()) {
        assert.equal(method.Properties.Integration.TimeoutInMillis, 300_000);
      }
      assert.equal(fn.Timeout, 299);
      assert.equal(fn.Environment.Variables.JSON_RESPONSE_TIMEOUT_MS, '28000');
    });

    it('has no CORS preflight unless origins are configured', () => {
      template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { HttpMethod: 'OPTIONS' }, 0);
    });

    it('lets API Gateway invoke the function from this API stage only', () => {
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
        (permission) => permission.Properties.Principal !== 'logs.amazonaws.com',
      );
      assert.ok(permissions.length > 0);
      for (const permission of permissions) {
        assert.equal(permission.Properties.Principal, 'apigateway.amazonaws.com');
        assert.match(flatten(permission.Properties.SourceArn), /:execute-api:.*\/<EndpointApiDeploymentStage\w+>\//);
      }
    });
  });

  describe('functions', () => {
    it('run on Node.js 22', () => {
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      assert.equal(functions.length, 4, 'the MCP endpoint, the manifest sync, the audit ingester and the admin API');
      for (const fn of functions) assert.equal(fn.Properties.Runtime, 'nodejs22.x');
    });

    it('run the MCP handler on arm64 with active tracing, JSON logs and a tool deadline within a JSON answer’s limit', () => {
      const { Properties } = template.findResources('AWS::Lambda::Function')[mcpFunctionId]!;
      assert.deepEqual(Properties.Architectures, ['arm64']);
      assert.deepEqual(Properties.TracingConfig, { Mode: 'Active' });
      assert.equal(Properties.Handler, 'index.handler');
      assert.equal(Properties.MemorySize, 1024);
      assert.equal(Properties.LoggingConfig.LogFormat, 'JSON');
      const env = Properties.Environment.Variables;
      assert.equal(env.NODE_OPTIONS, '--enable-source-maps');
      assert.ok(
        Number(env.TOOL_TIMEOUT_MS) + Number(env.DEADLINE_MARGIN_MS) <= Number(env.JSON_RESPONSE_TIMEOUT_MS),
        'the default tool deadline leaves time to answer as JSON',
      );
      assert.ok(Number(env.JSON_RESPONSE_TIMEOUT_MS) < 29_000, "below API Gateway's 29 s for a response sent whole");
      assert.equal(env.PUBLIC_BASE_URL, undefined, 'no custom domain, no public base URL');
    });

    it('name the registry table and the secrets prefix in the MCP function environment', () => {
      const env = template.findResources('AWS::Lambda::Function')[mcpFunctionId]!.Properties.Environment.Variables;
      assert.deepEqual(env.REGISTRY_TABLE_NAME, { Ref: registryTableId });
      assert.equal(env.SECRETS_PREFIX, 'mcp-cluster/dev/');
    });

    it('write to log groups of their own, with a retention', () => {
      for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
        const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref;
        assert.equal(template.findResources('AWS::Logs::LogGroup')[logGroupId]?.Properties.RetentionInDays, 30);
      }
    });

    it('deploy the tools of functions/tools and never the conformance fixture', async () => {
      const dir = (await functionCode()).mcp;
      const text = readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.mjs'))
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .join('\n');
      for (const tool of ['calculate', 'delete_user_account', 'get_current_time', 'get_weather_forecast']) {
        assert.ok(text.includes(`"${tool}"`), `${tool} is deployed`);
      }
      for (const fixture of ['test_simple_text', 'test_missing_capability', 'json_schema_2020_12_tool']) {
        assert.ok(!text.includes(fixture), `the fixture tool ${fixture} is not deployed`);
      }
    });

    it('use roles without AWS managed policies', () => {
      const functionRoles = Object.values(template.findResources('AWS::Lambda::Function')).map(
        (fn) => fn.Properties.Role['Fn::GetAtt'][0],
      );
      for (const roleId of functionRoles) {
        assert.equal(template.findResources('AWS::IAM::Role')[roleId]?.Properties.ManagedPolicyArns, undefined);
      }
    });
  });

  describe('tables', () => {
    it('are at least two, all on demand with point-in-time recovery and encryption', () => {
      const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
      assert.ok(tables.length >= 2, `${tables.length} tables`);
      for (const { Properties } of tables) {
        assert.equal(Properties.BillingMode, 'PAY_PER_REQUEST');
        assert.deepEqual(Properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
        assert.equal(Properties.SSESpecification.SSEEnabled, true);
      }
    });

    it('key the registry with PK and SK strings, as shared/store/table-schemas.ts says', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: 'PK', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'PK', AttributeType: 'S' },
          { AttributeName: 'SK', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: Match.absent(),
      });
    });

    it('give the audit table an expiresAt TTL, a byTool index on GSI1PK/GSI1SK and a byTenant index on GSI2PK/GSI2SK', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'byTool',
            KeySchema: [
              { AttributeName: 'GSI1PK', KeyType: 'HASH' },
              { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          }),
          Match.objectLike({
            IndexName: 'byTenant',
            KeySchema: [
              { AttributeName: 'GSI2PK', KeyType: 'HASH' },
              { AttributeName: 'GSI2SK', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          }),
        ],
      });
    });
  });

  describe('permissions', () => {
    it('contain no statement anywhere whose Action is "*"', () => {
      const statements = iamStatements(template);
      assert.ok(statements.length > 0);
      for (const statement of statements) {
        assert.ok(!statement.actions.includes('*'), `${statement.holder} grants Action "*"`);
        for (const action of statement.actions)
          assert.doesNotMatch(action, /^[a-z0-9-]+:\*$/, `${statement.holder}: ${action}`);
      }
    });

    it('scope every Secrets Manager statement to the stack prefix, and let the MCP function only read it', () => {
      const all = iamStatements(template).filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:')));
      for (const statement of all) {
        assert.deepEqual(statement.resources, [
          'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:mcp-cluster/dev/*',
        ]);
      }
      const secrets = all.filter((s) => s.roles.includes(mcpRoleId));
      assert.equal(secrets.length, 1);
      assert.deepEqual(secrets[0]!.actions.sort(), ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
      assert.deepEqual(secrets[0]!.resources, [
        'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:mcp-cluster/dev/*',
      ]);
      assert.deepEqual(secrets[0]!.roles, [mcpRoleId]);
    });

    it('give the MCP function Resource "*" only for the two X-Ray write actions, which have no resource-level permissions', () => {
      const mcp = iamStatements(template).filter((s) => s.roles.includes(mcpRoleId));
      assert.ok(mcp.length > 0);
      for (const statement of mcp.filter((s) => s.resources.includes('*'))) {
        assert.deepEqual(statement.actions.sort(), ['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    });

    it('let the MCP function read the registry (GetItem, Query), count calls in the audit table, and nothing more of DynamoDB', () => {
      const dynamo = iamStatements(template).filter(
        (s) => s.roles.includes(mcpRoleId) && s.actions.some((a) => a.startsWith('dynamodb:')),
      );
      const registry = dynamo.filter((s) => s.resources.includes(`<${registryTableId}.Arn>`));
      assert.deepEqual(registry.flatMap((s) => s.actions).sort(), ['dynamodb:GetItem', 'dynamodb:Query']);
      const audit = dynamo.filter((s) => !s.resources.includes(`<${registryTableId}.Arn>`));
      assert.deepEqual(
        audit.flatMap((s) => s.actions).sort(),
        ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:UpdateItem'],
        'rate-limit counters, and the idempotency records',
      );
      assert.deepEqual(
        audit.flatMap((s) => s.resources),
        [`<${auditTableId}.Arn>`, `<${auditTableId}.Arn>`],
        'the audit table only, not its index',
      );
    });

    it('let the MCP function read, write and delete only the idempotency records of the audit table (IDEM# keys)', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: mcpRoleId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
              Resource: { 'Fn::GetAtt': [auditTableId, 'Arn'] },
              Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['IDEM#*'] } },
            }),
          ]),
        },
      });
    });
  });

  describe('request-state key', () => {
    it('is generated by Secrets Manager under the stack prefix, so its value never appears in the template', () => {
      template.resourceCountIs('AWS::SecretsManager::Secret', 1);
      const [secret] = Object.values(template.findResources('AWS::SecretsManager::Secret'));
      const { Name, GenerateSecretString, SecretString, KmsKeyId } = secret!.Properties;
      assert.equal(Name, 'mcp-cluster/dev/request-state-key');
      assert.equal(SecretString, undefined);
      assert.equal(KmsKeyId, undefined, 'encrypted with aws/secretsmanager, like the tool secrets');
      assert.deepEqual(JSON.parse(GenerateSecretString.SecretStringTemplate), { signing: 'k1' });
      assert.equal(GenerateSecretString.GenerateStringKey, 'k1');
      assert.equal(secret!.DeletionPolicy, 'Delete');
    });

    it('generates a value the MCP function reads as its signing key', () => {
      const [secret] = Object.values(template.findResources('AWS::SecretsManager::Secret'));
      const spec = secret!.Properties.GenerateSecretString;
      const generated = 'x'.repeat(spec.PasswordLength);
      const value = { ...JSON.parse(spec.SecretStringTemplate), [spec.GenerateStringKey]: generated };
      const keys = parseRequestStateKeys(JSON.stringify(value));
      assert.equal(keys.signingId, 'k1');
      assert.ok(spec.PasswordLength >= 32 && spec.ExcludePunctuation === true, `${spec.PasswordLength} characters`);
    });

    it('is readable by the MCP function through its grant on the prefix, and by nothing else', () => {
      const [secret] = Object.values(template.findResources('AWS::SecretsManager::Secret'));
      const grants = iamStatements(template).filter((s) => s.actions.includes('secretsmanager:GetSecretValue'));
      assert.equal(grants.length, 1);
      const [grant] = grants;
      assert.deepEqual(grant!.roles, [mcpRoleId]);
      // Secrets Manager appends "-" and six random characters to the name in the secret's ARN.
      const arn = `arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${secret!.Properties.Name}-AbC123`;
      const literal = (text: string) => text.replace(/[.+?^$()|[\]\\]/g, '\\$&');
      const pattern = new RegExp(`^${grant!.resources[0]!.split('*').map(literal).join('.*')}$`);
      assert.match(arn, pattern);
      const policies = template.findResources('AWS::SecretsManager::ResourcePolicy');
      assert.deepEqual(policies, {}, 'no resource policy widens it');
    });
  });

  describe('large results bucket', () => {
    let bucketId: string;
    before(() => {
      bucketId = logicalIdOf(template, 'AWS::S3::Bucket', {});
    });

    it('is private, encrypted, without ACLs or versions, and expires results/ after a day', () => {
      template.resourceCountIs('AWS::S3::Bucket', 1);
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              Prefix: 'results/',
              ExpirationInDays: 1,
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              Status: 'Enabled',
            }),
          ],
        },
        VersioningConfiguration: Match.absent(),
      });
    });

    it('refuses every request that is not over TLS 1.2 or later', () => {
      const policy = Object.values(template.findResources('AWS::S3::BucketPolicy'))[0]!;
      const statements = policy.Properties.PolicyDocument.Statement as Record<string, unknown>[];
      assert.ok(
        statements.some(
          (st) => st.Effect === 'Deny' && JSON.stringify(st.Condition).includes('"aws:SecureTransport":"false"'),
        ),
      );
      assert.ok(
        statements.some((st) => st.Effect === 'Deny' && JSON.stringify(st.Condition).includes('s3:TlsVersion')),
      );
    });

    it('names the bucket and the retention in the MCP function environment', () => {
      const fn = template.findResources('AWS::Lambda::Function')[mcpFunctionId]!;
      const vars = fn.Properties.Environment.Variables;
      assert.deepEqual(vars.RESULT_BUCKET_NAME, { Ref: bucketId });
      assert.equal(vars.RESULT_LINK_TTL_SECONDS, '3600');
    });

    it('lets the MCP function Get and Put results/* and nothing else of S3; no other role touches it', () => {
      const s3 = iamStatements(template).filter((s) => s.actions.some((a) => a.startsWith('s3:')));
      assert.equal(s3.length, 1);
      assert.deepEqual(s3[0]!.actions.sort(), ['s3:GetObject', 's3:PutObject']);
      assert.deepEqual(s3[0]!.resources, [`<${bucketId}.Arn>/results/*`]);
      assert.deepEqual(s3[0]!.roles, [mcpRoleId]);
    });
  });

  describe('audit trail', () => {
    it('points the MCP function at the audit table for its rate-limit counters', () => {
      const fn = template.findResources('AWS::Lambda::Function')[mcpFunctionId]!;
      assert.deepEqual(fn.Properties.Environment.Variables.AUDIT_TABLE_NAME, { Ref: auditTableId });
    });

    it("sends the MCP function's audit lines to an ingester that writes the audit table, keeping records 90 days", () => {
      template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
        FilterPattern: '{ ($.message = "tool call") || ($.message = "tool call started") }',
        LogGroupName: { Ref: Match.stringLikeRegexp('^McpBundledLogs') },
      });
      const ingesterId = logicalIdOf(template, 'AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ AUDIT_RETENTION_DAYS: '90' }) },
      });
      const ingester = template.findResources('AWS::Lambda::Function')[ingesterId]!;
      assert.deepEqual(ingester.Properties.Environment.Variables.AUDIT_TABLE_NAME, { Ref: auditTableId });
      const roleId = ingester.Properties.Role['Fn::GetAtt'][0];
      const writes = iamStatements(template).filter(
        (s) => s.roles.includes(roleId) && s.actions.some((a) => a.startsWith('dynamodb:')),
      );
      assert.deepEqual(writes.flatMap((s) => s.actions).sort(), ['dynamodb:BatchWriteItem', 'dynamodb:PutItem']);
      assert.deepEqual(
        writes.flatMap((s) => s.resources),
        [`<${auditTableId}.Arn>`],
      );
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'logs.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [ingesterId, 'Arn'] },
      });
    });

    it('keeps audit events the ingester could not write in a retry queue that hands them back, then a dead-letter queue, both alarmed', () => {
      const ingesterId = logicalIdOf(template, 'AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ AUDIT_RETENTION_DAYS: '90' }) },
      });
      const queues = template.findResources('AWS::SQS::Queue');
      const retryId = Object.keys(queues).find((id) => queues[id]?.Properties.RedrivePolicy)!;
      const retry = queues[retryId]!.Properties;
      assert.equal(retry.RedrivePolicy.maxReceiveCount, 60);
      assert.equal(retry.MessageRetentionPeriod, 14 * 86_400);
      assert.equal(retry.SqsManagedSseEnabled, true);
      const deadId = retry.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
      assert.equal(queues[deadId]?.Properties.MessageRetentionPeriod, 14 * 86_400);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ingesterId },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [retryId, 'Arn'] } } },
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: ingesterId },
        EventSourceArn: { 'Fn::GetAtt': [retryId, 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      const alarmed = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
      assert.ok(
        alarmed.some(
          (a) =>
            a.MetricName === 'ApproximateAgeOfOldestMessage' &&
            JSON.stringify(a.Dimensions).includes(retryId) &&
            a.Threshold === 900,
        ),
        'an alarm when records wait over 15 minutes',
      );
      assert.ok(
        alarmed.some(
          (a) => a.MetricName === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(a.Dimensions).includes(deadId),
        ),
        'an alarm when records are dead-lettered',
      );
    });
  });

  describe('manifest sync', () => {
    it('is a custom resource answered by the sync function, depending on the registry table', () => {
      template.resourceCountIs('Custom::McpManifestSync', 1);
      const [sync] = Object.values(template.findResources('Custom::McpManifestSync'));
      assert.ok(sync);
      assert.ok(sync.DependsOn.includes(registryTableId), 'DependsOn the registry table');
      assert.deepEqual(sync.Properties.TableName, { Ref: registryTableId });
      const handlerId = sync.Properties.ServiceToken['Fn::GetAtt'][0];
      assert.notEqual(handlerId, mcpFunctionId);
      assert.equal(template.findResources('AWS::Lambda::Function')[handlerId]?.Properties.Runtime, 'nodejs22.x');
    });

    it('carries the digest of the bundled tools, so a deploy that changes a tool runs it again', async () => {
      const [sync] = Object.values(template.findResources('Custom::McpManifestSync'));
      const code = await functionCode();
      // Over the entry and every chunk: a change to a tool in an on-demand chunk must run the sync too.
      const dir = code['manifest-sync'];
      const hash = createHash('sha256');
      for (const file of readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.mjs'))
        .map((f) => join(dir, f))
        .sort())
        hash.update(file.slice(dir.length)).update(readFileSync(file));
      assert.equal(sync?.Properties.CodeHash, hash.digest('hex'));
      assert.ok(readdirSync(join(dir, 'chunks')).length > 0, 'the sync bundle has on-demand chunks');
    });

    it('may read and write the registry table and nothing else', () => {
      const [sync] = Object.values(template.findResources('Custom::McpManifestSync'));
      const handler = template.findResources('AWS::Lambda::Function')[sync?.Properties.ServiceToken['Fn::GetAtt'][0]];
      const roleId = handler?.Properties.Role['Fn::GetAtt'][0];
      const statements = iamStatements(template).filter((s) => s.roles.includes(roleId));
      const dynamo = statements.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')));
      assert.deepEqual(
        dynamo.flatMap((s) => s.resources),
        [`<${registryTableId}.Arn>`],
      );
      const others = statements.filter(
        (s) => !s.actions.every((a) => a.startsWith('dynamodb:') || a.startsWith('logs:')),
      );
      assert.deepEqual(others, []);
    });
  });

  describe('observability', () => {
    it('alarms on the API 5xx rate, p99 latency, function errors and throttles, and throttling of both tables', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      assert.ok(alarms.length >= 2);
      const metricNames = alarms.map((alarm) =>
        [
          alarm.Properties.MetricName,
          ...(alarm.Properties.Metrics ?? []).map(
            (m: { MetricStat?: { Metric: { MetricName: string } } }) => m.MetricStat?.Metric.MetricName,
          ),
        ]
          .filter(Boolean)
          .join('+'),
      );
      for (const expected of ['5XXError', 'Latency', 'Errors', 'Throttles']) {
        assert.ok(
          metricNames.some((names) => names.split('+').includes(expected)),
          `an alarm on ${expected}`,
        );
      }
      assert.equal(metricNames.filter((names) => names.includes('ReadThrottleEvents')).length, 2);
      // The MCP function's errors, and the admin API's function's.
      assert.equal(metricNames.filter((names) => names === 'Errors').length, 2);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: [
          Match.objectLike({
            MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Latency' }), Stat: 'p99' }),
          }),
        ],
      });
    });

    it('has a dashboard with per-tool calls from the function logs', () => {
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      const body = flatten(
        Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody,
      );
      assert.match(body, /Calls and errors per tool/);
      assert.match(body, /stats count\(\*\) as calls.* by tool, outcome/);
      assert.match(body, /5XXError/);
      assert.match(body, /"p99"/);
    });

    it('counts tool calls by outcome with a metric filter on the audit lines', () => {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        FilterPattern: '{ $.message = "tool call" }',
        MetricTransformations: [
          Match.objectLike({ MetricName: 'ToolCalls', Dimensions: [{ Key: 'Outcome', Value: '$.audit.outcome' }] }),
        ],
      });
    });

    it('has no alarm actions unless a topic or an email is configured', () => {
      template.resourceCountIs('AWS::SNS::Topic', 0);
      for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
        assert.equal(alarm.Properties.AlarmActions, undefined);
      }
    });
  });

  it('outputs the endpoint URL, table names, secrets prefix and function name', () => {
    const outputs = template.findOutputs('*');
    for (const name of [
      'EndpointUrl',
      'RegistryTableName',
      'AuditTableName',
      'SecretsPrefix',
      'McpFunctionName',
      'ResultBucketName',
    ]) {
      assert.ok(outputs[name], `output ${name}`);
    }
    assert.match(
      flatten(outputs.EndpointUrl!.Value),
      /^https:\/\/<EndpointApi\w+>\.execute-api\.<AWS::Region>\.<AWS::URLSuffix>\/<EndpointApiDeploymentStagedev\w+>\/mcp$/,
    );
    assert.equal(outputs.SecretsPrefix!.Value, 'mcp-cluster/dev/');
  });
});
