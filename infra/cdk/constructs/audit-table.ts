import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { protectedTableProps, type TableProtectionProps } from './table-protection.js';

/** The function environment variable that names the table (read by the governance layer's audit writer). */
const TABLE_NAME_ENV = 'AUDIT_TABLE_NAME';

/** The index that answers "calls of this tool over time": `GSI1PK` = tool, `GSI1SK` = time-ordered key. */
export const AUDIT_BY_TOOL_INDEX = 'byTool';

/** Attribute that expires a record (epoch seconds), so the table keeps a bounded history. */
export const AUDIT_TTL_ATTRIBUTE = 'expiresAt';

export interface AuditTableProps extends TableProtectionProps {}

/**
 * One record per `tools/call` (`PK`/`SK` strings), expiring through the `expiresAt` TTL, with a `byTool` index
 * (`GSI1PK`/`GSI1SK`) for querying a tool's calls over time.
 */
export class AuditTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: AuditTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'SK', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: AUDIT_TTL_ATTRIBUTE,
      ...protectedTableProps(props),
    });
    this.table.addGlobalSecondaryIndex({
      indexName: AUDIT_BY_TOOL_INDEX,
      partitionKey: { name: 'GSI1PK', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'GSI1SK', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
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
}
