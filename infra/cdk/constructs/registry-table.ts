import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { Config } from '../../../shared/config/config.js';
import { REGISTRY_TABLE } from '../../../shared/store/table-schemas.js';
import { protectedTableProps, type TableProtectionProps, tablePropsOf } from './table-protection.js';

/** The function environment variable that names the table; read by shared/config. */
const TABLE_NAME_ENV = 'REGISTRY_TABLE_NAME' satisfies keyof Config;

export interface RegistryTableProps extends TableProtectionProps {}

/**
 * The registry: tool manifests and API keys in one table (`PK`/`SK` strings), built from the table schema
 * this stack and the local cluster share (shared/store/table-schemas.ts; the items are in shared/store/). Functions get access through `bindReader`/`bindWriter`, which also set
 * the environment variable that names the table.
 */
export class RegistryTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: RegistryTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      ...tablePropsOf(REGISTRY_TABLE),
      ...protectedTableProps(props),
    });
  }

  /** What the MCP function does: read manifests (one Query) and look up API keys (GetItem). Nothing else. */
  bindReader(fn: lambda.Function): void {
    fn.addEnvironment(TABLE_NAME_ENV, this.table.tableName);
    this.table.grant(fn, 'dynamodb:GetItem', 'dynamodb:Query');
    this.table.encryptionKey?.grantDecrypt(fn);
  }

  /**
   * What the admin API does (functions/admin): list API keys (a Scan), create and revoke them, read manifests and
   * write HTTP tools. The same actions as the operator's CLI; which items a caller may touch is the function's to decide.
   */
  bindAdmin(fn: lambda.Function): void {
    fn.addEnvironment(TABLE_NAME_ENV, this.table.tableName);
    this.table.grant(
      fn,
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    );
    this.table.encryptionKey?.grant(fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
  }

  /** What the deploy-time manifest sync does: read, update and delete items. */
  bindWriter(fn: lambda.Function): void {
    fn.addEnvironment(TABLE_NAME_ENV, this.table.tableName);
    this.table.grant(fn, 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    // Explicit actions: KMS's grantEncryptDecrypt would add wildcard actions (ReEncrypt*, GenerateDataKey*).
    this.table.encryptionKey?.grant(fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
  }
}
