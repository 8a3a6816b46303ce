import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { TableSchema } from '../../../shared/store/table-schemas.js';

/** How a table of the cluster is built, kept and encrypted; shared by the registry and the audit table. */
export interface TableProtectionProps {
  /**
   * Keep the table when the stack is deleted or the table would be replaced: RemovalPolicy.RETAIN and deletion
   * protection. Production stages set it.
   * @default false (RemovalPolicy.DESTROY, no deletion protection)
   */
  retain?: boolean;
  /** Customer-managed KMS key. @default AWS-managed encryption (the `aws/dynamodb` key) */
  encryptionKey?: kms.IKey;
}

/** On-demand, point-in-time recovery, encrypted, and retained or destroyed as a whole. */
export function protectedTableProps(props: TableProtectionProps): Partial<dynamodb.TableProps> {
  return {
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    ...(props.encryptionKey
      ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
      : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
    deletionProtection: props.retain ?? false,
    removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  };
}

/** A table's keys and TTL from its schema (shared/store/table-schemas.ts), which the local cluster builds from too. */
export function tablePropsOf(
  schema: TableSchema,
): Pick<dynamodb.TableProps, 'partitionKey' | 'sortKey' | 'timeToLiveAttribute'> {
  return {
    partitionKey: { name: schema.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: { name: schema.sortKey, type: dynamodb.AttributeType.STRING },
    ...(schema.ttlAttribute ? { timeToLiveAttribute: schema.ttlAttribute } : {}),
  };
}

/** The schema's global secondary indexes, each projecting every attribute. */
export function addIndexesOf(table: dynamodb.Table, schema: TableSchema): void {
  for (const index of schema.indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
}
