import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoadingCache } from '../../shared/cache/loading-cache.js';
import { manualClock } from '../helpers/aws.js';

/** A source whose loads are counted, and which can be made to fail. */
function countingSource() {
  const source = {
    loads: 0,
    failing: false,
    value: 'v1',
    async load(key: string): Promise<string> {
      source.loads++;
      if (source.failing) throw new Error('source down');
      return `${key}:${source.value}`;
    },
  };
  return source;
}

describe('LoadingCache', () => {
  it('answers from memory within the TTL and loads again once it has passed', async () => {
    const clock = manualClock();
    const source = countingSource();
    const cache = new LoadingCache<string, string>({ ttlMs: 100, load: source.load, now: clock.now });

    assert.equal(await cache.get('a'), 'a:v1');
    source.value = 'v2';
    clock.advance(99);
    assert.equal(await cache.get('a'), 'a:v1');
    assert.equal(source.loads, 1);
    clock.advance(1);
    assert.equal(await cache.get('a'), 'a:v2');
    assert.equal(source.loads, 2);
  });

  it('shares one load among concurrent callers of the same key', async () => {
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const cache = new LoadingCache<string, number>({
      ttlMs: 1_000,
      load: async () => {
        loads++;
        await gate;
        return 42;
      },
    });
    const pending = Array.from({ length: 20 }, () => cache.get('k'));
    release();
    const values = await Promise.all(pending);
    assert.equal(loads, 1);
    assert.deepEqual(new Set(values), new Set([42]));
  });

  it('serves the stale value when a refresh fails, and retries only after retryAfterMs', async () => {
    const clock = manualClock();
    const source = countingSource();
    const stale: unknown[] = [];
    const cache = new LoadingCache<string, string>({
      ttlMs: 100,
      serveStaleOnError: true,
      retryAfterMs: 50,
      load: source.load,
      onStale: (_key, error) => stale.push(error),
      now: clock.now,
    });
    await cache.get('a');
    source.failing = true;
    clock.advance(150);

    assert.equal(await cache.get('a'), 'a:v1');
    assert.equal(source.loads, 2);
    assert.equal(stale.length, 1);

    clock.advance(49);
    assert.equal(await cache.get('a'), 'a:v1');
    assert.equal(source.loads, 2, 'no new attempt before retryAfterMs');

    source.failing = false;
    source.value = 'v2';
    clock.advance(1);
    assert.equal(await cache.get('a'), 'a:v2');
    assert.equal(source.loads, 3);
  });

  it('rejects when a load fails and there is no value to fall back on, and tries again next time', async () => {
    const source = countingSource();
    source.failing = true;
    const cache = new LoadingCache<string, string>({ ttlMs: 1_000, serveStaleOnError: true, load: source.load });
    await assert.rejects(cache.get('a'), /source down/);
    source.failing = false;
    assert.equal(await cache.get('a'), 'a:v1');
    assert.equal(source.loads, 2);
  });

  it('does not serve stale values unless asked to', async () => {
    const clock = manualClock();
    const source = countingSource();
    const cache = new LoadingCache<string, string>({ ttlMs: 10, load: source.load, now: clock.now });
    await cache.get('a');
    source.failing = true;
    clock.advance(20);
    await assert.rejects(cache.get('a'), /source down/);
  });

  it('keeps each value for the TTL ttlFor gives it', async () => {
    const clock = manualClock();
    let loads = 0;
    const cache = new LoadingCache<string, string | null>({
      ttlMs: 1_000,
      ttlFor: (value) => (value === null ? 10 : 1_000),
      load: async (key) => {
        loads++;
        return key === 'missing' ? null : key;
      },
      now: clock.now,
    });
    await cache.get('missing');
    await cache.get('present');
    clock.advance(10);
    await cache.get('missing');
    await cache.get('present');
    assert.equal(loads, 3, 'only the short-lived null was loaded again');
  });

  it('drops the oldest key when maxEntries is reached', async () => {
    const source = countingSource();
    const cache = new LoadingCache<string, string>({ ttlMs: 60_000, maxEntries: 2, load: source.load });
    await cache.get('a');
    await cache.get('b');
    await cache.get('c');
    assert.equal(source.loads, 3);
    await cache.get('b');
    await cache.get('c');
    assert.equal(source.loads, 3, 'b and c are still cached');
    await cache.get('a');
    assert.equal(source.loads, 4, 'a was evicted');
  });

  it('loads again after a key, or everything, is invalidated', async () => {
    const source = countingSource();
    const cache = new LoadingCache<string, string>({ ttlMs: 60_000, load: source.load });
    await cache.get('a');
    await cache.get('b');
    cache.invalidate('a');
    await cache.get('a');
    await cache.get('b');
    assert.equal(source.loads, 3);
    cache.invalidate();
    await cache.get('a');
    await cache.get('b');
    assert.equal(source.loads, 5);
  });

  it('keeps a load started after invalidate when the older load then fails', async () => {
    const gates: { resolve(value: string): void; reject(error: Error): void }[] = [];
    const cache = new LoadingCache<string, string>({
      ttlMs: 60_000,
      load: () =>
        new Promise<string>((resolve, reject) => {
          gates.push({ resolve, reject });
        }),
    });
    const first = cache.get('k').catch(() => 'failed');
    cache.invalidate('k');
    const second = cache.get('k');
    gates[0]?.reject(new Error('old load failed'));
    await first;
    const third = cache.get('k');
    for (const gate of gates) gate.resolve('value');
    await Promise.all([second, third]);
    assert.equal(gates.length, 2, 'the third get should have shared the second load');
  });
});
