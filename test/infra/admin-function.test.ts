import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { flatten, iamStatements, logicalIdOf, synthCluster } from './synth.js';

/** The admin API in the default stack: its own function, least privilege, `POST /admin` only. */
describe('the admin API of the McpCluster-dev stack', () => {
  let template: Template;
  let adminFunctionId: string;
  let adminRoleId: string;
  let registryTableId: string;
  let auditTableId: string;

  before(async () => {
    ({ template } = await synthCluster());
    adminFunctionId = logicalIdOf(template, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('the admin API'),
    });
    adminRoleId = template.findResources('AWS::Lambda::Function')[adminFunctionId]!.Properties.Role['Fn::GetAtt'][0];
    registryTableId = logicalIdOf(template, 'AWS::DynamoDB::Table', { GlobalSecondaryIndexes: Match.absent() });
    auditTableId = logicalIdOf(template, 'AWS::DynamoDB::Table', { GlobalSecondaryIndexes: Match.anyValue() });
  });

  const adminStatements = () => iamStatements(template).filter((s) => s.roles.includes(adminRoleId));

  it('routes POST /admin, and no other method, to the admin function, answered whole', () => {
    const adminResource = logicalIdOf(template, 'AWS::ApiGateway::Resource', { PathPart: 'admin' });
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
      (method) => method.Properties.ResourceId?.Ref === adminResource,
    );
    assert.deepEqual(
      methods.map((method) => method.Properties.HttpMethod),
      ['POST'],
    );
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      ResourceId: { Ref: adminResource },
      AuthorizationType: 'NONE',
      Integration: Match.objectLike({ Type: 'AWS_PROXY', ResponseTransferMode: Match.absent() }),
    });
    assert.match(flatten(methods[0]!.Properties.Integration.Uri), new RegExp(`<${adminFunctionId}\\.Arn>`));
  });

  it('names the registry table, the audit table and the secrets prefix in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('the admin API'),
      Environment: {
        Variables: Match.objectLike({
          REGISTRY_TABLE_NAME: { Ref: registryTableId },
          AUDIT_TABLE_NAME: { Ref: auditTableId },
          SECRETS_PREFIX: 'mcp-cluster/dev/',
        }),
      },
    });
  });

  it('may write secrets under the prefix and read their metadata, but never read a value', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: adminRoleId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'WriteToolSecretsUnderPrefix',
            Action: ['secretsmanager:CreateSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue'],
            Effect: 'Allow',
          }),
        ]),
      },
    });
    const actions = adminStatements().flatMap((s) => s.actions);
    assert.ok(!actions.includes('secretsmanager:GetSecretValue'));
    const secrets = adminStatements().filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:')));
    assert.deepEqual(
      secrets.flatMap((s) => s.resources),
      ['arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:mcp-cluster/dev/*'],
    );
  });

  it('may read and write the registry, only read the audit table and its indexes, and nothing else of DynamoDB', () => {
    const dynamo = adminStatements().filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')));
    const registry = dynamo.filter((s) => s.resources.some((r) => r.includes(registryTableId)));
    assert.deepEqual(registry.flatMap((s) => s.actions).sort(), [
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    ]);
    const audit = dynamo.filter((s) => s.resources.some((r) => r.includes(auditTableId)));
    assert.deepEqual(audit.flatMap((s) => s.actions).sort(), ['dynamodb:Query'], 'a Query per tenant, never a Scan');
    assert.deepEqual(audit.flatMap((s) => s.resources).sort(), [
      `<${auditTableId}.Arn>`,
      `<${auditTableId}.Arn>/index/*`,
    ]);
    assert.equal(dynamo.length, registry.length + audit.length);
  });

  it('is invisible to the MCP function, whose grants stay read-only on the registry and the secrets', () => {
    const mcpFunctionId = logicalIdOf(template, 'AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TOOL_TIMEOUT_MS: Match.anyValue() }) },
    });
    const mcpRole = template.findResources('AWS::Lambda::Function')[mcpFunctionId]!.Properties.Role['Fn::GetAtt'][0];
    const mcp = iamStatements(template).filter((s) => s.roles.includes(mcpRole));
    const actions = new Set(mcp.flatMap((s) => s.actions));
    for (const action of ['secretsmanager:PutSecretValue', 'secretsmanager:CreateSecret', 'dynamodb:Scan']) {
      assert.ok(!actions.has(action), `the MCP function may ${action}`);
    }
  });

  it('outputs the admin URL', () => {
    const outputs = template.findOutputs('AdminUrl');
    assert.match(flatten(outputs.AdminUrl!.Value), /\/admin$/);
  });
});
