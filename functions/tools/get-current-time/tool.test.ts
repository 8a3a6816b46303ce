import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { runTool } from 'mcp-cluster/tools';
import getCurrentTime from './tool.js';

type Output = {
  timezone: string;
  iso: string;
  local: string;
  weekday: string;
  utcOffset: string;
  unixSeconds: number;
};

// Sunday 22 November 2026, 13:03:05.250 UTC.
const NOW = Date.UTC(2026, 10, 22, 13, 3, 5, 250);

describe('get_current_time', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: NOW }));
  afterEach(() => mock.timers.reset());

  it('is named after its folder and is read-only but not idempotent', () => {
    assert.equal(getCurrentTime.name, 'get_current_time');
    assert.equal(getCurrentTime.annotations?.readOnlyHint, true);
    assert.equal(getCurrentTime.annotations?.idempotentHint, false);
    assert.equal(getCurrentTime.annotations?.openWorldHint, false);
    assert.deepEqual(getCurrentTime.scopes, []);
  });

  it('defaults to UTC', async () => {
    assert.deepEqual(await runTool<Output>(getCurrentTime, {}), {
      timezone: 'UTC',
      iso: '2026-11-22T13:03:05.250Z',
      local: '2026-11-22 13:03:05',
      weekday: 'Sunday',
      utcOffset: '+00:00',
      unixSeconds: 1795352585,
    });
  });

  it('gives the wall-clock time, weekday and offset of the requested zone', async () => {
    const paris = await runTool<Output>(getCurrentTime, { timezone: 'Europe/Paris' });
    assert.equal(paris.timezone, 'Europe/Paris');
    assert.equal(paris.local, '2026-11-22 14:03:05');
    assert.equal(paris.utcOffset, '+01:00');
    assert.equal(paris.iso, '2026-11-22T13:03:05.250Z');
    assert.equal(paris.unixSeconds, Math.floor(NOW / 1000));

    const auckland = await runTool<Output>(getCurrentTime, { timezone: 'Pacific/Auckland' });
    assert.equal(auckland.local, '2026-11-23 02:03:05');
    assert.equal(auckland.weekday, 'Monday');
    assert.equal(auckland.utcOffset, '+13:00');
  });

  it('handles offsets that are not whole hours, on both sides of UTC', async () => {
    const kathmandu = await runTool<Output>(getCurrentTime, { timezone: 'Asia/Kathmandu' });
    assert.equal(kathmandu.utcOffset, '+05:45');
    assert.equal(kathmandu.local, '2026-11-22 18:48:05');
    const stJohns = await runTool<Output>(getCurrentTime, { timezone: 'America/St_Johns' });
    assert.equal(stJohns.utcOffset, '-03:30');
    assert.equal(stJohns.local, '2026-11-22 09:33:05');
  });

  it('follows daylight saving time', async () => {
    mock.timers.setTime(Date.UTC(2026, 6, 1, 12, 0, 0));
    const newYork = await runTool<Output>(getCurrentTime, { timezone: 'America/New_York' });
    assert.equal(newYork.utcOffset, '-04:00');
    assert.equal(newYork.local, '2026-07-01 08:00:00');
    assert.equal(newYork.weekday, 'Wednesday');
  });

  it('rejects an unknown time zone at the schema, naming the field', () => {
    for (const timezone of ['Mars/Olympus_Mons', 'Paris', '', 'GMT+25']) {
      const parsed = getCurrentTime.input.safeParse({ timezone });
      assert.equal(parsed.success, false, timezone);
      assert.deepEqual(parsed.error?.issues[0]?.path, ['timezone']);
    }
    const unknown = getCurrentTime.input.safeParse({ timezone: 'Mars/Olympus_Mons' });
    assert.equal(unknown.error?.issues[0]?.message, 'Unknown IANA time zone; use names like Europe/Paris');
    assert.throws(() => getCurrentTime.input.parse({ timezone: 42 }), { name: 'ZodError' });
  });

  it('reads the real clock when time is not mocked', async () => {
    mock.timers.reset();
    const before = Math.floor(Date.now() / 1000);
    const output = await runTool<Output>(getCurrentTime, { timezone: 'Asia/Tokyo' });
    assert.ok(output.unixSeconds >= before && output.unixSeconds <= before + 5);
    assert.equal(output.utcOffset, '+09:00');
    assert.match(output.local, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });
});
