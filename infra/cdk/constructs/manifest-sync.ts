import { CustomResource, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleDigest } from '../../build/bundle.js';
import { BundledFunction } from './bundled-function.js';
import type { RegistryTable } from './registry-table.js';

export const MANIFEST_SYNC_RESOURCE_TYPE = 'Custom::McpManifestSync';

export interface ManifestSyncProps {
  /** `bundleFunctions().dirs['manifest-sync']`: the sync handler with every tool of functions/tools bundled in. */
  codeDir: string;
  registryTable: RegistryTable;
  /** @default one month */
  logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  logRemovalPolicy?: RemovalPolicy;
}

/**
 * Syncs the registry's code-tool manifests with the deployed code on every deploy that changes the tools: a custom
 * resource answered by functions/manifest-sync/handler.ts (it answers CloudFormation itself; no provider framework,
 * so no extra function and no wildcard invoke permissions). The bundle's digest is a resource property, so any
 * change to a tool's code makes CloudFormation send an Update. Delete does nothing: tearing the stack down never
 * touches manifests, which carry operator policy.
 */
export class ManifestSync extends Construct {
  readonly resource: CustomResource;
  readonly handler: BundledFunction;
  /** sha256 of the bundled sync handler, tools included. */
  readonly codeHash: string;

  constructor(scope: Construct, id: string, props: ManifestSyncProps) {
    super(scope, id);
    this.codeHash = bundleDigest(props.codeDir);
    this.handler = new BundledFunction(this, 'Handler', {
      codeDir: props.codeDir,
      description: 'mcp-cluster: syncs tool manifests in the registry with the deployed tools (custom resource)',
      memorySize: 256,
      timeout: Duration.minutes(2),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    props.registryTable.bindWriter(this.handler.function);

    this.resource = new CustomResource(this, 'Resource', {
      resourceType: MANIFEST_SYNC_RESOURCE_TYPE,
      serviceToken: this.handler.function.functionArn,
      // If the handler ever fails to answer, CloudFormation gives up after this instead of an hour.
      serviceTimeout: Duration.minutes(5),
      properties: {
        CodeHash: this.codeHash,
        TableName: props.registryTable.table.tableName,
      },
    });
    // The sync writes the table; the function's grants (its role's policy) must exist before it runs.
    this.resource.node.addDependency(props.registryTable.table, this.handler);
  }
}
