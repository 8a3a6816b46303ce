import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildCluster, synthCluster } from './synth.js';

const EVERY_OPTION = {
  stage: 'prod',
  waf: 'true',
  domainName: 'mcp.example.com',
  certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  hostedZoneName: 'example.com',
  reservedConcurrency: '20',
  provisionedConcurrency: '2',
  alarmEmail: 'ops@example.com',
  tableKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
  corsOrigins: 'https://app.example.com',
};

/** Findings of cdk-nag's AWS Solutions pack that no `Validations.of(...).acknowledge()` covers. */
async function unacknowledgedFindings(context: Record<string, unknown>, env?: Environment): Promise<string[]> {
  const { app } = await buildCluster(context, env);
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => {
        const data = entry.data as Record<string, { reason?: string } | string> | { id: string; reason: string }[];
        const list = Array.isArray(data)
          ? data
          : Object.entries(data).map(([id, value]) => ({
              id,
              reason: typeof value === 'string' ? value : (value.reason ?? ''),
            }));
        return list.map(({ id, reason }) => ({ path: construct.node.path, id, reason }));
      }),
  );
}

describe('cdk-nag (AWS Solutions)', () => {
  it('finds nothing unacknowledged in the default dev stack', async () => {
    assert.deepEqual(await unacknowledgedFindings({}), []);
  });

  it('finds nothing unacknowledged in a prod stack with every option on', async () => {
    assert.deepEqual(await unacknowledgedFindings(EVERY_OPTION), []);
  });

  it('finds nothing unacknowledged when the account and region are known, as in cdk deploy', async () => {
    const env = { account: '123456789012', region: 'eu-west-1' };
    assert.deepEqual(await unacknowledgedFindings({}, env), []);
    assert.deepEqual(await unacknowledgedFindings(EVERY_OPTION, env), []);
  });

  it('runs at synth, the way the app applies it, and lets a clean stack through', async () => {
    const { template } = await synthCluster({}, { nag: true });
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
  });

  it('gives every acknowledgment a written reason', async () => {
    const { app } = await buildCluster(EVERY_OPTION);
    const acks = acknowledgments(app);
    assert.ok(acks.length > 0, 'the stack acknowledges some findings');
    for (const ack of acks)
      assert.ok(ack.reason.length >= 40, `${ack.id} at ${ack.path} has a reason: "${ack.reason}"`);
  });
});
