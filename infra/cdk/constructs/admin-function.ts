import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { AdminConfig } from '../../../shared/config/config.js';
import type { AuditTable } from './audit-table.js';
import { BundledFunction } from './bundled-function.js';
import type { RegistryTable } from './registry-table.js';
import type { ToolSecrets } from './tool-secrets.js';

export interface AdminFunctionProps {
  /** `bundleFunctions().dirs.admin` */
  codeDir: string;
  registryTable: RegistryTable;
  auditTable: AuditTable;
  toolSecrets: ToolSecrets;
  /** @default 'info' */
  logLevel?: AdminConfig['LOG_LEVEL'];
  /** @default one month */
  logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  logRemovalPolicy?: RemovalPolicy;
}

/**
 * The admin API's function (functions/admin/handler.ts): tenant admins manage their tenant's keys, secrets and audit
 * through `POST /admin` with a tenant admin key. A function of its own, so the MCP function's grants stay as narrow
 * as they are: this one may write the registry, read the audit table and write (never read) secrets under the prefix.
 */
export class AdminFunction extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AdminFunctionProps) {
    super(scope, id);
    const bundled = new BundledFunction(this, 'Bundled', {
      codeDir: props.codeDir,
      description: 'mcp-cluster: the admin API (tenant admin keys manage their tenant)',
      memorySize: 512,
      // Within API Gateway's 29 s for an answer sent whole; an OpenAPI import writes one item per tool.
      timeout: Duration.seconds(28),
      tracing: true,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      environment: { LOG_LEVEL: props.logLevel ?? 'info' } satisfies Partial<Record<keyof AdminConfig, string>>,
    });
    this.function = bundled.function;
    this.logGroup = bundled.logGroup;
    props.registryTable.bindAdmin(this.function);
    props.auditTable.bindAuditReader(this.function);
    props.toolSecrets.bindWriter(this.function);
  }
}
