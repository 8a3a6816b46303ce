import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as destinations from 'aws-cdk-lib/aws-logs-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUDIT_LINE_MESSAGE, AUDIT_START_LINE_MESSAGE } from '../../../shared/audit/audit.js';
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

/** How often a retry-queue message is handed to the ingester before it moves to the dead-letter queue. */
export const AUDIT_RETRY_RECEIVES = 60;

/**
 * Moves audit records from the MCP function's logs into the audit table: a subscription filter on the log group sends
 * the audit lines (a call's end, and the start marker every call leaves before its tool runs) to functions/audit-ingest,
 * which writes them. A tool call pays for a log line, not for a DynamoDB write; the record lands within seconds, keyed
 * by its call (redeliveries and replays rewrite it, never add).
 *
 * Nothing is dropped while the audit table is unreachable: an event the ingester fails on is retried by Lambda, then
 * sent to the retry queue, which hands it back every 6 minutes (visibility timeout) until it is written; after
 * `AUDIT_RETRY_RECEIVES` tries (about 6 hours) it moves to the dead-letter queue, kept 14 days, from which the operator
 * moves it back (SQS redrive). Both queues are alarmed by the observability construct.
 */
export class AuditIngest extends Construct {
  readonly handler: BundledFunction;
  readonly subscription: logs.SubscriptionFilter;
  /** Subscription events the ingester could not write yet; handed back to it until they are written. */
  readonly retryQueue: sqs.Queue;
  /** Events that failed every retry: kept 14 days, to be moved back to the retry queue once the cause is fixed. */
  readonly deadLetterQueue: sqs.Queue;

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
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.retryQueue = new sqs.Queue(this, 'RetryQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // Six times the function's timeout, as SQS event sources need; also the pause between tries.
      visibilityTimeout: Duration.minutes(6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: AUDIT_RETRY_RECEIVES },
    });
    this.handler.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.retryQueue),
    });
    this.handler.function.addEventSource(
      new SqsEventSource(this.retryQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );
    this.subscription = new logs.SubscriptionFilter(this, 'Subscription', {
      logGroup: props.source,
      destination: new destinations.LambdaDestination(this.handler.function),
      filterPattern: logs.FilterPattern.any(
        logs.FilterPattern.stringValue('$.message', '=', AUDIT_LINE_MESSAGE),
        logs.FilterPattern.stringValue('$.message', '=', AUDIT_START_LINE_MESSAGE),
      ),
    });
  }
}
