import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { WorkerPool } from '../../infra/local/front.js';

const PROBE = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/handlers/probe.mjs');

const event = (order: Record<string, unknown>) => ({ body: JSON.stringify(order) }) as unknown as APIGatewayProxyEvent;

interface ProbeAnswer {
  pid: number;
  maxInFlight: number;
  tag?: string;
}

async function invoke(pool: WorkerPool, order: Record<string, unknown>) {
  const { result, worker } = await pool.invoke(event(order));
  return {
    status: result.statusCode,
    worker,
    ...(result.statusCode === 200 ? { probe: JSON.parse(result.body) as ProbeAnswer } : {}),
  };
}

describe('the local worker pool (Lambda execution environments)', () => {
  describe('with one worker', () => {
    const pool = new WorkerPool({ size: 1, bundle: PROBE, timeoutMs: 2_000 });
    before(() => pool.start(process.env));
    after(() => pool.stop());

    it('runs one invocation at a time and queues the rest in arrival order', async () => {
      const started: string[] = [];
      const answers = await Promise.all(
        ['a', 'b', 'c', 'd'].map(async (tag) => {
          const answer = await invoke(pool, { sleepMs: 30, tag });
          started.push(tag);
          return answer;
        }),
      );
      assert.deepEqual(
        answers.map((a) => a.probe?.maxInFlight),
        [1, 1, 1, 1],
        'the worker never ran two invocations at once',
      );
      assert.deepEqual(started, ['a', 'b', 'c', 'd']);
      assert.equal(pool.queued, 0);
    });
  });

  describe('with one worker and a short timeout', () => {
    const pool = new WorkerPool({ size: 1, bundle: PROBE, timeoutMs: 300 });
    before(() => pool.start(process.env));
    after(() => pool.stop());

    it('never hands an invocation waiting in the queue to the worker it is replacing', async () => {
      const [timedOut, queued] = await Promise.all([invoke(pool, { hang: true }), invoke(pool, { tag: 'after' })]);
      assert.equal(timedOut.status, 504);
      assert.equal(queued.status, 200, 'the waiting invocation ran on the replacement');
      assert.equal(queued.probe?.tag, 'after');
    });

    it('answers 502 for a response over Lambda’s 6 MB, as API Gateway does', async () => {
      const tooLarge = await invoke(pool, { bytes: 6_300_000 });
      assert.equal(tooLarge.status, 502);
      const fits = await pool.invoke(event({ bytes: 5_000_000 }));
      assert.equal(fits.result.statusCode, 200);
      assert.equal(fits.result.body.length, 5_000_000);
    });
  });

  describe('with two workers', () => {
    const pool = new WorkerPool({ size: 2, bundle: PROBE, timeoutMs: 600 });
    before(() => pool.start(process.env));
    after(() => pool.stop());

    it('hands consecutive invocations to different workers', async () => {
      const workers: number[] = [];
      for (let i = 0; i < 4; i++) workers.push((await invoke(pool, {})).worker);
      assert.deepEqual(workers, [0, 1, 0, 1]);
    });

    it('runs two invocations at once on the two workers, never two on one', async () => {
      const answers = await Promise.all([0, 1, 2, 3, 4, 5].map(() => invoke(pool, { sleepMs: 40 })));
      assert.deepEqual(new Set(answers.map((a) => a.worker)), new Set([0, 1]));
      assert.ok(answers.every((a) => a.probe?.maxInFlight === 1));
    });

    it('answers 504 when an invocation outlives the timeout, and replaces that worker', async () => {
      const pids = pool.pids;
      const [timedOut, served] = await Promise.all([invoke(pool, { hang: true }), invoke(pool, { sleepMs: 10 })]);
      assert.equal(timedOut.status, 504);
      assert.equal(served.status, 200, 'the other worker kept serving');
      await waitFor(() => pool.pids[timedOut.worker] !== pids[timedOut.worker]);
      // Once the replacement has loaded the handler, it takes invocations like any worker.
      const replacement = pool.pids[timedOut.worker];
      let servedByReplacement = false;
      for (const deadline = Date.now() + 10_000; !servedByReplacement && Date.now() < deadline; ) {
        const answer = await invoke(pool, {});
        assert.equal(answer.status, 200);
        servedByReplacement = answer.probe?.pid === replacement;
      }
      assert.ok(servedByReplacement, 'the new worker serves');
    });

    it('answers 502 when the worker dies during an invocation, and serves the next from a new worker', async () => {
      const crashed = await invoke(pool, { exit: 3 });
      assert.equal(crashed.status, 502);
      const next = await Promise.all([invoke(pool, {}), invoke(pool, {})]);
      assert.deepEqual(
        next.map((a) => a.status),
        [200, 200],
      );
    });
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
