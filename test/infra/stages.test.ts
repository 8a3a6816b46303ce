import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { flatten, iamStatements, logicalIdOf, synthCluster } from './synth.js';

/** `POST /admin` goes to the admin API's function (test/infra/admin-function.test.ts), not the MCP function. */
// biome-ignore lint/suspicious/noExplicitAny: a template resource as the assertions library types it
const isAdminMethod = (method: { [key: string]: any }) =>
  /<Admin[A-Za-z0-9]*\.Arn>/.test(flatten(method.Properties.Integration.Uri));

const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789';

function tables(template: Template) {
  return Object.values(template.findResources('AWS::DynamoDB::Table'));
}

describe('stages and options', () => {
  let dev: Template;
  let prod: Template;

  before(async () => {
    [{ template: dev }, { template: prod }] = await Promise.all([
      synthCluster(),
      synthCluster({
        stage: 'prod',
        waf: 'true',
        wafRateLimit: '500',
        domainName: 'mcp.example.com',
        certificateArn: CERTIFICATE_ARN,
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        hostedZoneName: 'example.com',
        reservedConcurrency: '20',
        provisionedConcurrency: '2',
        memorySize: '2048',
        throttlingRateLimit: '500',
        throttlingBurstLimit: '1000',
        logRetentionDays: '90',
        alarmEmail: 'ops@example.com',
        tableKmsKeyArn: KEY_ARN,
        corsOrigins: 'https://app.example.com, https://admin.example.com',
        outboundAllowedCidrs: '10.20.0.0/16, fd12::/16',
        streamingTimeoutSeconds: '900',
        timeoutSeconds: '20',
      }),
    ]);
  });

  it('names the stack after the stage', async () => {
    const { stack } = await synthCluster({ stage: 'staging' });
    assert.equal(stack.stackName, 'McpCluster-staging');
  });

  it('waits up to 15 minutes for a streamed answer when told, with the function 1 s shorter and JSON answers held to theirs', () => {
    const fnId = logicalIdOf(prod, 'AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TOOL_TIMEOUT_MS: Match.anyValue() }) },
    });
    const fn = prod.findResources('AWS::Lambda::Function')[fnId]!.Properties;
    assert.equal(fn.Timeout, 899);
    assert.equal(fn.Environment.Variables.JSON_RESPONSE_TIMEOUT_MS, '20000');
    const methods = Object.values(prod.findResources('AWS::ApiGateway::Method')).filter(
      (m) => m.Properties.HttpMethod !== 'OPTIONS' && !isAdminMethod(m),
    );
    assert.ok(methods.length > 0);
    for (const method of methods) {
      assert.equal(method.Properties.Integration.ResponseTransferMode, 'STREAM');
      assert.equal(method.Properties.Integration.TimeoutInMillis, 900_000);
    }
  });

  describe('tables', () => {
    it('are retained with deletion protection in prod', () => {
      assert.equal(tables(prod).length, 2);
      for (const table of tables(prod)) {
        assert.equal(table.DeletionPolicy, 'Retain');
        assert.equal(table.UpdateReplacePolicy, 'Retain');
        assert.equal(table.Properties.DeletionProtectionEnabled, true);
      }
    });

    it('are destroyed with the stack in dev', () => {
      for (const table of tables(dev)) {
        assert.equal(table.DeletionPolicy, 'Delete');
        assert.equal(table.Properties.DeletionProtectionEnabled, false);
      }
    });

    it('are retained in any stage with retain=true', async () => {
      const { template } = await synthCluster({ stage: 'qa', retain: 'true' });
      for (const table of tables(template)) {
        assert.equal(table.DeletionPolicy, 'Retain');
        assert.equal(table.Properties.DeletionProtectionEnabled, true);
      }
    });

    it('use the customer-managed key when one is given, and the MCP function may decrypt with it', () => {
      for (const table of tables(prod)) {
        assert.deepEqual(table.Properties.SSESpecification, {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: KEY_ARN,
        });
      }
      const kms = iamStatements(prod).filter((s) => s.actions.some((a) => a.startsWith('kms:')));
      assert.ok(kms.length > 0);
      for (const statement of kms) assert.deepEqual(statement.resources, [KEY_ARN]);
    });
  });

  describe('WAF', () => {
    it('is absent unless enabled', () => {
      dev.resourceCountIs('AWS::WAFv2::WebACL', 0);
      dev.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    });

    it('when enabled, is a regional web ACL with a per-IP rate-based rule, associated with the API stage', () => {
      prod.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        DefaultAction: { Allow: {} },
        Rules: Match.arrayWith([
          Match.objectLike({
            Action: { Block: {} },
            Statement: { RateBasedStatement: Match.objectLike({ Limit: 500, AggregateKeyType: 'IP' }) },
          }),
        ]),
      });
      const [association] = Object.values(prod.findResources('AWS::WAFv2::WebACLAssociation'));
      assert.match(
        flatten(association?.Properties.ResourceArn),
        /:apigateway:<AWS::Region>::\/restapis\/<EndpointApi\w+>\/stages\/<EndpointApiDeploymentStageprod\w+>$/,
      );
    });
  });

  describe('custom domain', () => {
    it('maps a regional domain with the given certificate to the API and creates alias records in the zone', () => {
      prod.hasResourceProperties('AWS::ApiGateway::DomainName', {
        DomainName: 'mcp.example.com',
        RegionalCertificateArn: CERTIFICATE_ARN,
        EndpointConfiguration: { Types: ['REGIONAL'] },
        SecurityPolicy: 'TLS_1_2',
      });
      prod.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
      prod.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'mcp.example.com.',
        Type: 'A',
        HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      });
      prod.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'mcp.example.com.', Type: 'AAAA' });
    });

    it('becomes the function’s PUBLIC_BASE_URL and the endpoint output', () => {
      prod.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ PUBLIC_BASE_URL: 'https://mcp.example.com' }) },
      });
      assert.equal(prod.findOutputs('EndpointUrl').EndpointUrl?.Value, 'https://mcp.example.com/mcp');
    });

    it('needs no hosted zone', async () => {
      const { template } = await synthCluster({ domainName: 'mcp.example.com', certificateArn: CERTIFICATE_ARN });
      template.resourceCountIs('AWS::ApiGateway::DomainName', 1);
      template.resourceCountIs('AWS::Route53::RecordSet', 0);
    });
  });

  describe('the MCP function', () => {
    it('takes memory, reserved concurrency and the log retention from context', () => {
      const id = logicalIdOf(prod, 'AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ TOOL_TIMEOUT_MS: Match.anyValue() }) },
      });
      const { Properties } = prod.findResources('AWS::Lambda::Function')[id]!;
      assert.equal(Properties.MemorySize, 2048);
      assert.equal(Properties.ReservedConcurrentExecutions, 20);
      const logGroup = prod.findResources('AWS::Logs::LogGroup')[Properties.LoggingConfig.LogGroup.Ref];
      assert.equal(logGroup?.Properties.RetentionInDays, 90);
      assert.equal(logGroup?.DeletionPolicy, 'Retain', 'prod keeps its logs');
    });

    it('serves through a live alias with provisioned concurrency when that is set', () => {
      prod.hasResourceProperties('AWS::Lambda::Alias', {
        Name: 'live',
        ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
      });
      const aliasId = logicalIdOf(prod, 'AWS::Lambda::Alias');
      for (const method of Object.values(
        prod.findResources('AWS::ApiGateway::Method', {
          Properties: { Integration: Match.objectLike({ Type: 'AWS_PROXY' }) },
        }),
      ).filter((method) => !isAdminMethod(method))) {
        assert.match(flatten(method.Properties.Integration.Uri), new RegExp(`<${aliasId}>`));
      }
      dev.resourceCountIs('AWS::Lambda::Alias', 0);
    });
  });

  describe('API', () => {
    it('throttles at the rate and burst from context', () => {
      prod.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'prod',
        MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 })],
      });
    });

    it('answers CORS preflight for the configured origins only', () => {
      const options = Object.values(
        prod.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }),
      );
      assert.equal(options.length, 4);
      const headers = options[0]!.Properties.Integration.IntegrationResponses[0].ResponseParameters;
      assert.equal(headers['method.response.header.Access-Control-Allow-Origin'], "'https://app.example.com'");
      const allowed = String(headers['method.response.header.Access-Control-Allow-Headers']).replaceAll("'", '');
      for (const header of ['Authorization', 'Mcp-Protocol-Version', 'Mcp-Method', 'Mcp-Name']) {
        assert.ok(allowed.split(',').includes(header), `${header} may be sent by a browser client`);
      }
    });

    it('lets the function accept exactly the CORS origins (others get 403 against DNS rebinding)', () => {
      prod.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ ALLOWED_ORIGINS: 'https://app.example.com,https://admin.example.com' }),
        },
      });
    });
  });

  describe('HTTP tools', () => {
    it('may reach the private ranges given in context, and none by default', () => {
      prod.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ OUTBOUND_ALLOWED_CIDRS: '10.20.0.0/16,fd12::/16' }) },
      });
      for (const fn of Object.values(dev.findResources('AWS::Lambda::Function'))) {
        assert.equal(fn.Properties.Environment?.Variables?.OUTBOUND_ALLOWED_CIDRS, undefined);
      }
    });
  });

  describe('alarms', () => {
    it('notify a topic with the email subscribed, on alarm and on recovery', () => {
      prod.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
      const topicId = logicalIdOf(prod, 'AWS::SNS::Topic');
      for (const alarm of Object.values(prod.findResources('AWS::CloudWatch::Alarm'))) {
        assert.deepEqual(alarm.Properties.AlarmActions, [{ Ref: topicId }]);
        assert.deepEqual(alarm.Properties.OKActions, [{ Ref: topicId }]);
      }
    });

    it('notify an existing topic without creating one', async () => {
      const topicArn = 'arn:aws:sns:eu-west-1:123456789012:ops-alarms';
      const { template } = await synthCluster({ alarmTopicArn: topicArn });
      template.resourceCountIs('AWS::SNS::Topic', 0);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topicArn] });
    });
  });

  it('keeps to the same permission rules with every option on: no Action "*", secrets under the prod prefix', () => {
    for (const statement of iamStatements(prod)) assert.ok(!statement.actions.includes('*'), statement.holder);
    const secrets = iamStatements(prod).filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:')));
    assert.deepEqual(
      new Set(secrets.flatMap((s) => s.resources)),
      new Set(['arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:mcp-cluster/prod/*']),
    );
  });

  it('can leave the account’s API Gateway logging role alone', async () => {
    dev.resourceCountIs('AWS::ApiGateway::Account', 1);
    const { template } = await synthCluster({ apiGatewayCloudWatchRole: false });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});
