import { defineTool } from 'mcp-cluster/tools';
import { z } from 'zod';

const TIME_ZONE_MESSAGE = 'Unknown IANA time zone; use names like Europe/Paris';

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

interface LocalParts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
  weekday: string;
}

function localParts(instant: Date, timeZone: string): LocalParts {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    weekday: 'long',
  });
  const parts = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, part.value]));
  return {
    year: (parts['year'] ?? '').padStart(4, '0'),
    month: parts['month'] ?? '',
    day: parts['day'] ?? '',
    hour: parts['hour'] ?? '',
    minute: parts['minute'] ?? '',
    second: parts['second'] ?? '',
    weekday: parts['weekday'] ?? '',
  };
}

/** '+05:45', '-03:30', '+00:00' from the difference between the zone's wall clock and UTC. */
function formatOffset(instant: Date, parts: LocalParts): string {
  const wallClockAsUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const wholeSeconds = Math.floor(instant.getTime() / 1000) * 1000;
  const minutes = Math.round((wallClockAsUtc - wholeSeconds) / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const hh = String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0');
  const mm = String(Math.abs(minutes) % 60).padStart(2, '0');
  return `${sign}${hh}:${mm}`;
}

/** The current time as seen in `timeZone`. */
export function describeInstant(instant: Date, timeZone: string) {
  const parts = localParts(instant, timeZone);
  return {
    timezone: timeZone,
    iso: instant.toISOString(),
    local: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`,
    weekday: parts.weekday,
    utcOffset: formatOffset(instant, parts),
    unixSeconds: Math.floor(instant.getTime() / 1000),
  };
}

export default defineTool({
  name: 'get_current_time',
  title: 'Current time',
  description: `
Returns the current date and time. You do not know what time it is: call this whenever an answer depends on today's
date, the day of the week, the time somewhere, or how long ago/until something is.
Pass an IANA time zone name (e.g. "Europe/Paris", "America/New_York", "Asia/Tokyo"); it defaults to UTC.
Returns { timezone, iso (the instant in UTC, ISO-8601), local (wall-clock time in that zone, "YYYY-MM-DD HH:mm:ss"),
weekday (in that zone, e.g. "Monday"), utcOffset (e.g. "+01:00", daylight saving included), unixSeconds }.`,
  input: z.object({
    timezone: z
      .string()
      .min(1)
      .max(64)
      .refine(isTimeZone, { message: TIME_ZONE_MESSAGE })
      .default('UTC')
      .describe('IANA time zone name such as "Europe/Paris" or "America/Los_Angeles". Defaults to "UTC".'),
  }),
  output: z.object({
    timezone: z.string().describe('The time zone the local fields are expressed in.'),
    iso: z
      .string()
      .describe('The current instant in UTC, ISO-8601 with milliseconds, e.g. "2026-11-22T13:03:05.123Z".'),
    local: z.string().describe('Wall-clock date and time in the time zone, "YYYY-MM-DD HH:mm:ss" (24-hour).'),
    weekday: z.string().describe('Day of the week in the time zone, in English, e.g. "Sunday".'),
    utcOffset: z.string().describe('Offset of the time zone from UTC right now, "+HH:MM" or "-HH:MM".'),
    unixSeconds: z.number().int().describe('Seconds since 1970-01-01T00:00:00Z.'),
  }),
  annotations: { title: 'Current time', readOnlyHint: true, idempotentHint: false, openWorldHint: false },
  async run({ timezone }) {
    return describeInstant(new Date(), timezone);
  },
});
