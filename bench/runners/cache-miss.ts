/**
 * Section 3 runner: the same tools/call (a tool with a secret binding) on two instances of ours at one tool count:
 * one with every cache TTL at 1 ms (each call after a short pause finds the API key, the registry snapshot and the
 * secret expired) and one with warm caches. Then the three reads an expired call makes, timed alone with the same
 * client settings, to explain the difference.
 */

import { pathToFileURL } from 'node:url';
import { DynamoDBClient, GetItemCommand, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { reply } from '../lib/child.js';
import { lambdaContext, type ProxyHandler, proxyEvent, responseProblem, rpcBody } from '../lib/events.js';
import { percentile, sleep } from '../lib/stats.js';

export interface CacheMissConfig {
  bundle: string;
  samples: number;
  /** Pause before every sample: longer than the 1 ms TTLs, so the expired instance always reloads. */
  pauseMs: number;
  cases: {
    tools: number;
    apiKey: string;
    apiKeyPartition: string;
    call: { name: string; arguments: Record<string, unknown> };
    /** Environment for the warm instance and the expired one. */
    warmEnv: Record<string, string>;
    expiredEnv: Record<string, string>;
    registryTable: string;
    secretId: string;
  }[];
}

export interface CacheMissCase {
  tools: number;
  samples: number;
  warm: { p50: number; p90: number; p99: number };
  expired: { p50: number; p90: number; p99: number };
  /** p50 of each read alone (same endpoint, same client settings as the handler). */
  reads: { getItemApiKey: number; queryRegistry: number; getSecretValue: number };
  registryItems: number;
}

const config = JSON.parse(process.env.BENCH_CONFIG ?? 'null') as CacheMissConfig;
const summary = (values: number[]) => ({
  p50: percentile(values, 50),
  p90: percentile(values, 90),
  p99: percentile(values, 99),
});

// The handler's own client settings (functions/mcp/handler.ts).
const clientOptions = { maxAttempts: 2, requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 } };

async function timed(handler: ProxyHandler, apiKey: string, call: CacheMissConfig['cases'][number]['call']) {
  const event = proxyEvent(rpcBody('tools/call', 1, call), { apiKey, method: 'tools/call' });
  const context = lambdaContext();
  const before = performance.now();
  const response = await handler(event, context);
  const ms = performance.now() - before;
  const problem = responseProblem('tools/call', response, { deep: true });
  if (problem) throw new Error(`tools/call failed: ${problem}`);
  return ms;
}

async function main(): Promise<CacheMissCase[]> {
  const dynamodb = new DynamoDBClient(clientOptions);
  const secretsManager = new SecretsManagerClient(clientOptions);
  const results: CacheMissCase[] = [];
  for (const c of config.cases) {
    const load = async (label: string, env: Record<string, string>) => {
      Object.assign(process.env, env);
      const module = (await import(`${pathToFileURL(config.bundle).href}?${label}-${c.tools}`)) as {
        handler: ProxyHandler;
      };
      return module.handler;
    };
    const warm = await load('warm', c.warmEnv);
    const expired = await load('expired', c.expiredEnv);
    for (let i = 0; i < 10; i++) {
      await timed(warm, c.apiKey, c.call);
      await sleep(config.pauseMs);
      await timed(expired, c.apiKey, c.call);
    }
    const warmMs: number[] = [];
    const expiredMs: number[] = [];
    for (let i = 0; i < config.samples; i++) {
      const order = i % 2 === 0 ? (['expired', 'warm'] as const) : (['warm', 'expired'] as const);
      for (const which of order) {
        await sleep(config.pauseMs); // the same idle time before both, so only the caches differ
        if (which === 'warm') warmMs.push(await timed(warm, c.apiKey, c.call));
        else expiredMs.push(await timed(expired, c.apiKey, c.call));
      }
    }

    const getItem: number[] = [];
    const query: number[] = [];
    const secret: number[] = [];
    let registryItems = 0;
    for (let i = 0; i < config.samples; i++) {
      let before = performance.now();
      await dynamodb.send(
        new GetItemCommand({
          TableName: c.registryTable,
          Key: { PK: { S: c.apiKeyPartition }, SK: { S: 'APIKEY' } },
          ConsistentRead: true,
        }),
      );
      getItem.push(performance.now() - before);
      before = performance.now();
      let startKey: QueryCommandOutput['LastEvaluatedKey'];
      registryItems = 0;
      do {
        const page = await dynamodb.send(
          new QueryCommand({
            TableName: c.registryTable,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': { S: 'TOOL' } },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        registryItems += page.Items?.length ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      query.push(performance.now() - before);
      before = performance.now();
      await secretsManager.send(new GetSecretValueCommand({ SecretId: c.secretId }));
      secret.push(performance.now() - before);
    }
    results.push({
      tools: c.tools,
      samples: config.samples,
      warm: summary(warmMs),
      expired: summary(expiredMs),
      reads: {
        getItemApiKey: percentile(getItem, 50),
        queryRegistry: percentile(query, 50),
        getSecretValue: percentile(secret, 50),
      },
      registryItems,
    });
  }
  return results;
}

await reply(main);
