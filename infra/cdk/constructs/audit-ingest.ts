import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as destinations from 'aws-cdk-lib/aws-logs-destinations';
import { Construct } from 'constructs';
import type { AuditTable } from './audit-table.js';
import { BundledFunction } from './bundled-function.js';

export interface AuditIngestProps {
  /** `bundleFunctions().dirs['audit-ingest']` */
  codeDir: string;
  auditTable: AuditTable;
  /** The MCP function's log group, where every tools/call leaves one `"message":"tool call"` line. */
  source: logs.ILogGroup;
  retentionDays: number;
  /** @default one month */
  logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  logRemovalPolicy?: RemovalPolicy;
}

/**
 * Moves audit records from the MCP function's logs into the audit table: a subscription filter on the log group sends
 * the audit lines to functions/audit-ingest, which batch-writes them. A tool call pays for a log line, not for a
 * DynamoDB write; the record lands within seconds, keyed by the log event's id (redeliveries overwrite, never add).
 */
export class AuditIngest extends Construct {
  readonly handler: BundledFunction;
  readonly subscription: logs.SubscriptionFilter;

  constructor(scope: Construct, id: string, props: AuditIngestProps) {
    super(scope, id);
    this.handler = new BundledFunction(this, 'Handler', {
      codeDir: props.codeDir,
      description: 'mcp-cluster: writes the audit lines of the MCP function to the audit table',
      memorySize: 256,
      timeout: Duration.minutes(1),
      environment: {
        AUDIT_TABLE_NAME: props.auditTable.table.tableName,
        AUDIT_RETENTION_DAYS: String(props.retentionDays),
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.handler.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
        resources: [props.auditTable.table.tableArn],
      }),
    );
    props.auditTable.table.encryptionKey?.grant(
      this.handler.function,
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:DescribeKey',
    );
    this.subscription = new logs.SubscriptionFilter(this, 'Subscription', {
      logGroup: props.source,
      destination: new destinations.LambdaDestination(this.handler.function),
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', 'tool call'),
    });
  }
}
