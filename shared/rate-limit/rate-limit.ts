import { type RateLimit, rateLimitSchema } from '../store/items.js';

export type { RateLimit };

const WINDOW_UNITS: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hour: 3600,
  d: 86_400,
  day: 86_400,
};

/** Parses `10/min`, `100/h`, `5/30s` into a rate limit; throws with a readable message otherwise. */
export function parseRateLimit(text: string): RateLimit {
  const match = /^\s*(\d+)\s*\/\s*(\d*)\s*([a-z]+)\s*$/i.exec(text);
  const unit = match
    ? (WINDOW_UNITS[match[3]!.toLowerCase().replace(/s$/, '')] ?? WINDOW_UNITS[match[3]!.toLowerCase()])
    : undefined;
  if (!match || unit === undefined) {
    throw new Error(`Invalid rate limit "${text}": use CALLS/WINDOW, e.g. 10/min, 100/h, 5/30s`);
  }
  return rateLimitSchema.parse({ limit: Number(match[1]), windowSeconds: (match[2] ? Number(match[2]) : 1) * unit });
}

export function formatRateLimit(limit: RateLimit): string {
  const { windowSeconds: w } = limit;
  const window =
    w % 86_400 === 0
      ? `${w / 86_400 === 1 ? '' : w / 86_400}d`
      : w % 3600 === 0
        ? `${w / 3600 === 1 ? '' : w / 3600}h`
        : w % 60 === 0
          ? `${w / 60 === 1 ? '' : w / 60}min`
          : `${w === 1 ? '' : w}s`;
  return `${limit.limit}/${window}`;
}
