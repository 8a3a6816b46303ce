/**
 * Times on the command line: a duration relative to now (`30d`, `12h`, `15m`, `90s`, `2w`) or an ISO-8601 date
 * (`2026-12-31`, midnight UTC) or date-time (`2026-12-31T18:00:00Z`; without an offset, local time).
 */
const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^(\d+)(s|m|min|h|d|w)$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export const TIME_HELP = 'a duration (30d, 12h, 15m) or an ISO date (2026-12-31, 2026-12-31T18:00:00Z)';

/** Milliseconds in `30d`, `12h`, `15m`; undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}

/**
 * A point in time: a duration counts back from `now` (`direction: 'past'`, as in `--since 1h`) or forward
 * (`'future'`, as in `--expires 30d`); `now` is now. Throws a readable error for anything else.
 */
export function parseTime(text: string, options: { now: Date; direction: 'past' | 'future' }): Date {
  const trimmed = text.trim();
  if (trimmed === 'now') return new Date(options.now);
  const ms = parseDuration(trimmed);
  if (ms !== undefined) return new Date(options.now.getTime() + (options.direction === 'past' ? -ms : ms));
  if (ISO_DATE.test(trimmed) && isCalendarDate(trimmed.slice(0, 10))) {
    const time = Date.parse(trimmed);
    if (!Number.isNaN(time)) return new Date(time);
  }
  throw new Error(`"${text}" is not a time: use ${TIME_HELP}`);
}

/** `2026-02-31` parses (as March 3rd); refuse it instead. */
function isCalendarDate(date: string): boolean {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const utc = new Date(Date.UTC(year, month - 1, day));
  return utc.getUTCMonth() === month - 1 && utc.getUTCDate() === day;
}
