import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse, Context } from 'aws-lambda';
import { z } from 'zod';
import { errorCode } from '../../shared/errors/errors.js';
import { createLogger, type Logger } from '../../shared/logging/logger.js';
import { type SyncResult, syncCodeManifests } from '../../shared/registry/sync.js';
import type { ToolDefinition } from '../../shared/tools/define-tool.js';
import { loadCodeTools } from '../../shared/tools/load-tools.js';
import { promptModules } from '../prompts/index.generated.js';
import { resourceModules } from '../resources/index.generated.js';
import { toolModules } from '../tools/index.generated.js';

/**
 * The deploy-time manifest sync: a CloudFormation custom resource (`Custom::McpManifestSync`) whose handler is this
 * function. Create and Update make the registry's code-tool manifests match the tools bundled here (idempotent,
 * operator policy kept); Delete does nothing, so tearing a stack down never touches the registry.
 *
 * It answers CloudFormation itself (a PUT to the pre-signed `ResponseURL`), always, even when the sync fails:
 * a custom resource that never answers holds the stack for the resource's service timeout.
 */

const envSchema = z.object({
  /** Set by the registry table construct that grants this function read/write on the table. */
  REGISTRY_TABLE_NAME: z.string().min(1),
});

export interface ManifestSyncOptions {
  client: DynamoDBClient;
  env?: Record<string, string | undefined>;
  /** The code tools; loaded (and checked) on first use, so a bad tool folder fails the deploy with a reason. */
  tools?: () => readonly ToolDefinition[];
  /** Delivers the response to CloudFormation; defaults to a PUT on the event's `ResponseURL`. */
  respond?: (url: string, response: CloudFormationCustomResourceResponse) => Promise<void>;
  logger?: Logger;
  /** Kept back from the function's deadline to answer CloudFormation after a slow sync. */
  marginMs?: number;
}

export type ManifestSyncHandler = (
  event: CloudFormationCustomResourceEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<CloudFormationCustomResourceResponse>;

export function createManifestSyncHandler(options: ManifestSyncOptions): ManifestSyncHandler {
  const logger = options.logger ?? createLogger();
  const respond = options.respond ?? putResponse;
  const tools = options.tools ?? (() => loadCodeTools(toolModules));
  const marginMs = options.marginMs ?? 3_000;

  return async function handle(event, context) {
    const base = {
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    };
    let response: CloudFormationCustomResourceResponse;
    try {
      const env = envSchema.parse(options.env ?? process.env);
      const physicalId = `manifest-sync/${env.REGISTRY_TABLE_NAME}`;
      if (event.RequestType === 'Delete') {
        // Deleting the stack (or replacing this resource) leaves the registry as it is: manifests hold operator policy.
        logger.info('manifest sync: delete requested; nothing to do', { requestType: event.RequestType });
        response = { ...base, Status: 'SUCCESS', PhysicalResourceId: event.PhysicalResourceId };
      } else {
        const result = await withDeadline(
          syncCodeManifests({ client: options.client, tableName: env.REGISTRY_TABLE_NAME }, tools(), new Date(), {
            resources: resourceModules.map((entry) => entry.resource),
            prompts: promptModules.map((entry) => entry.prompt),
          }),
          context.getRemainingTimeInMillis() - marginMs,
        );
        logger.info('manifest sync done', { requestType: event.RequestType, result });
        if (result.shadowed.length) {
          logger.warn(
            'code tools share their names with HTTP tools; the code tools are served, the HTTP tools are not',
            {
              tools: result.shadowed,
            },
          );
        }
        response = { ...base, Status: 'SUCCESS', PhysicalResourceId: physicalId, Data: summary(result) };
      }
    } catch (error) {
      logger.error('manifest sync failed', { requestType: event.RequestType, error: error as Error });
      response = {
        ...base,
        Status: 'FAILED',
        // On a failed Create there is no physical id yet; any stable value lets CloudFormation roll back cleanly.
        PhysicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : 'manifest-sync/failed',
        Reason: reasonFor(error),
      };
    }
    await respond(event.ResponseURL, response);
    return response;
  };
}

function summary(result: SyncResult): Record<string, number> {
  return {
    Created: result.created.length,
    Updated: result.updated.length,
    Unchanged: result.unchanged.length,
    Removed: result.removed.length,
    Shadowed: result.shadowed.length,
  };
}

/** Short and safe: CloudFormation shows it in the stack events. Validation problems are named; AWS errors by code. */
function reasonFor(error: unknown): string {
  const message =
    error instanceof z.ZodError
      ? `configuration invalid: ${error.issues.map((issue) => issue.path.join('.')).join(', ')}`
      : error instanceof Error && error.message.startsWith('Invalid tools:')
        ? error.message
        : `manifest sync failed (${errorCode(error) ?? (error instanceof Error ? error.name : 'unknown')}); see the function's logs`;
  return message.slice(0, 1_000);
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        const timeout = new Error('manifest sync timed out');
        timeout.name = 'TimeoutError';
        reject(timeout);
      },
      Math.max(ms, 0),
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** PUTs the response to the pre-signed S3 URL. No content type: the URL's signature does not cover one. */
export function putResponse(url: string, response: CloudFormationCustomResourceResponse): Promise<void> {
  const body = JSON.stringify(response);
  const target = new URL(url);
  const send = target.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode && res.statusCode < 300
            ? resolve()
            : reject(new Error(`CloudFormation response rejected: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('CloudFormation response timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

// Once per container.
const handleEvent = createManifestSyncHandler({ client: new DynamoDBClient({ maxAttempts: 5 }) });

export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  await handleEvent(event, context);
}
