import { Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { IDEMPOTENCY_PARTITION_PREFIX } from '../../../shared/store/idempotency-records.js';
import { AUDIT_TABLE } from '../../../shared/store/table-schemas.js';
import { nagName } from './nag.js';
import { addIndexesOf, protectedTableProps, type TableProtectionProps, tablePropsOf } from './table-protection.js';

/** The function environment variable that names the table (read by the governance layer's audit writer). */
const TABLE_NAME_ENV = 'AUDIT_TABLE_NAME';

export interface AuditTableProps extends TableProtectionProps {}

/**
 * One record per `tools/call` and the rate-limit counters, built from the table schema both this stack and the local
 * cluster use (shared/store/table-schemas.ts): keys, the TTL that bounds the history, the `byTool` index.
 */
export class AuditTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: AuditTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      ...tablePropsOf(AUDIT_TABLE),
      ...protectedTableProps(props),
    });
    addIndexesOf(this.table, AUDIT_TABLE);
  }

  /**
   * For the MCP function: UpdateItem for the rate-limit counters, nothing else (its audit records leave as log lines
   * and AuditIngest writes them). No reads, no deletes.
   */
  bindCounters(fn: lambda.Function): void {
    fn.addEnvironment(TABLE_NAME_ENV, this.table.tableName);
    // On the table itself only (Table.grant would add its indexes, which writes never need).
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [this.table.tableArn] }));
    // Explicit actions: KMS's grantEncryptDecrypt would add wildcard actions (ReEncrypt*, GenerateDataKey*).
    this.table.encryptionKey?.grant(fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
  }

  /**
   * For the admin API (functions/admin): read audit records with Query, on the table (by agent) and its indexes (a
   * tenant's on `byTenant`). No Scan, no writes, no deletes.
   */
  bindAuditReader(fn: lambda.Function): void {
    fn.addEnvironment(TABLE_NAME_ENV, this.table.tableName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadAuditRecords',
        // A tenant admin's queries always name its tenant (the byTenant index) or an agent: never a Scan.
        actions: ['dynamodb:Query'],
        resources: [this.table.tableArn, `${this.table.tableArn}/index/*`],
      }),
    );
    this.table.encryptionKey?.grant(fn, 'kms:Decrypt', 'kms:DescribeKey');
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagName(this, `${this.table.tableArn}/index/*`)}]`,
        reason: "The audit table's indexes (byTool, byTenant): read-only Query, nothing else.",
      });
    }
  }

  /**
   * For the MCP function: the idempotency records (shared/store/idempotency-records.ts), and only those: GetItem,
   * PutItem, UpdateItem and DeleteItem on items whose partition key starts with `IDEM#`, so the function still cannot
   * read or remove an audit record. Call after `bindCounters` (which sets the table's name).
   */
  bindIdempotencyRecords(fn: lambda.Function): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${IDEMPOTENCY_PARTITION_PREFIX}*`] },
        },
      }),
    );
  }
}
