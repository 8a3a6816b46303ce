import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export const WEB_ACL_DEFAULTS = {
  /** Requests one client IP may send in any 5-minute window. */
  rateLimit: 1_000,
} as const;

export interface McpWebAclProps {
  /** The API stage the web ACL protects. */
  stage: apigateway.Stage;
  /** Requests per client IP per 5 minutes before WAF blocks it. @default 1000 */
  rateLimit?: number;
  /** Prefix of the WAF metric names. */
  metricPrefix: string;
}

/**
 * An optional regional web ACL in front of the API stage: a per-IP rate-based rule (stops a single client flooding
 * the endpoint before it costs Lambda time) and two low-false-positive AWS managed rule groups. Bodies are not
 * inspected by size rules: MCP requests can legitimately be large.
 */
export class McpWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: McpWebAclProps) {
    super(scope, id);
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${props.metricPrefix}-${name}`,
    });
    const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: visibility(name),
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('web-acl'),
      rules: [
        {
          name: 'rate-limit-per-ip',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: props.rateLimit ?? WEB_ACL_DEFAULTS.rateLimit,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
            },
          },
          visibilityConfig: visibility('rate-limit-per-ip'),
        },
        managed('AWSManagedRulesAmazonIpReputationList', 1),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
