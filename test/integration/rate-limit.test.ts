import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ensureAuditTable } from '../../infra/local/dynamodb.js';
import { createRateLimiter } from '../../shared/rate-limit/rate-limiter.js';
import { type LocalDynamo, manualClock, startLocalDynamo } from '../helpers/aws.js';

/** 2023-11-14T22:13:20Z: a multiple of 60 and of 3600 seconds, so windows start exactly here. */
const WINDOW_ALIGNED_MS = 1_700_000_000_000 - (1_700_000_000_000 % 3_600_000);

describe('rate limiter (fixed-window counters in the audit table, dynalite)', () => {
  let dynamo: LocalDynamo;
  let tableName: string;

  before(async () => {
    dynamo = await startLocalDynamo();
    tableName = `audit-${randomUUID().slice(0, 8)}`;
    await ensureAuditTable(dynamo.client, tableName);
  });
  after(() => dynamo?.dispose());

  const subject = () => `agent-${randomUUID().slice(0, 8)}#calculate`;

  const counter = async (name: string, windowStart: number) => {
    const { Item } = await dynamo.client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { PK: { S: `RATE#${name}` }, SK: { S: `W#${windowStart}` } },
        ConsistentRead: true,
      }),
    );
    return Item ? (unmarshall(Item) as { count: number; expiresAt: number }) : undefined;
  };

  it('allows exactly 10 of 25 concurrent calls with a limit of 10, and refused calls do not count', async () => {
    const clock = manualClock(WINDOW_ALIGNED_MS + 5_000);
    const limiter = createRateLimiter({ client: dynamo.client, tableName, now: clock.now });
    const name = subject();
    const decisions = await Promise.all(
      Array.from({ length: 25 }, () => limiter.consume(name, { limit: 10, windowSeconds: 60 })),
    );
    assert.equal(decisions.filter((d) => d.allowed).length, 10);
    assert.equal(decisions.filter((d) => !d.allowed).length, 15);
    assert.equal((await counter(name, WINDOW_ALIGNED_MS / 1000))?.count, 10);
  });

  it('counts separate subjects independently', async () => {
    const limiter = createRateLimiter({ client: dynamo.client, tableName });
    const [busy, quiet] = [subject(), subject()];
    const limit = { limit: 3, windowSeconds: 3600 };
    for (let i = 0; i < 3; i++) assert.equal((await limiter.consume(busy, limit)).allowed, true);
    assert.equal((await limiter.consume(busy, limit)).allowed, false);
    assert.equal((await limiter.consume(quiet, limit)).allowed, true, 'another subject has its own counter');
    assert.equal((await limiter.consume(`${busy}-other`, limit)).allowed, true);
  });

  it('starts counting again in the next window', async () => {
    const clock = manualClock(WINDOW_ALIGNED_MS + 59_000);
    const limiter = createRateLimiter({ client: dynamo.client, tableName, now: clock.now });
    const name = subject();
    const limit = { limit: 2, windowSeconds: 60 };
    assert.equal((await limiter.consume(name, limit)).allowed, true);
    assert.equal((await limiter.consume(name, limit)).allowed, true);
    assert.equal((await limiter.consume(name, limit)).allowed, false);
    clock.advance(1_000); // exactly the start of the next window
    assert.equal((await limiter.consume(name, limit)).allowed, true);
    assert.equal((await limiter.consume(name, limit)).allowed, true);
    assert.equal((await limiter.consume(name, limit)).allowed, false);
  });

  it('tells a refused caller how many seconds remain until the window ends', async () => {
    const clock = manualClock(WINDOW_ALIGNED_MS + 17_200); // 17.2 s into a 60 s window: 42.8 s left
    const limiter = createRateLimiter({ client: dynamo.client, tableName, now: clock.now });
    const name = subject();
    const limit = { limit: 1, windowSeconds: 60 };
    assert.deepEqual(await limiter.consume(name, limit), { allowed: true, retryAfterSeconds: 0 });
    assert.deepEqual(await limiter.consume(name, limit), { allowed: false, retryAfterSeconds: 43 });
    clock.advance(42_500); // 0.3 s left: never tell a caller to retry after 0 s
    assert.deepEqual(await limiter.consume(name, limit), { allowed: false, retryAfterSeconds: 1 });
  });

  it('keys counters by window and lets the table TTL delete them after their window', async () => {
    const clock = manualClock(WINDOW_ALIGNED_MS + 1_000);
    const limiter = createRateLimiter({ client: dynamo.client, tableName, now: clock.now });
    const name = subject();
    const windowStart = WINDOW_ALIGNED_MS / 1000;
    const windowEnd = windowStart + 3600;
    await limiter.consume(name, { limit: 5, windowSeconds: 3600 });
    clock.advance(60_000);
    await limiter.consume(name, { limit: 5, windowSeconds: 3600 });
    const item = await counter(name, windowStart);
    assert.ok(item, 'the counter of the window exists');
    assert.equal(item.count, 2);
    assert.equal(typeof item.expiresAt, 'number');
    assert.ok(item.expiresAt >= windowEnd, `expiresAt ${item.expiresAt} is not after the window end ${windowEnd}`);
    assert.ok(item.expiresAt <= windowEnd + 86_400, 'and not kept for long after it');
  });

  it('fails loudly (never allows) when the counters cannot be written', async () => {
    const limiter = createRateLimiter({ client: dynamo.client, tableName: 'no-such-table' });
    await assert.rejects(limiter.consume(subject(), { limit: 5, windowSeconds: 60 }));
  });
});
