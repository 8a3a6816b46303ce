import { rejection } from '../http-response.js';
import type { Guard } from './guard.js';

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [range = '', ...params] = part.split(';');
    const [type = '', subtype = ''] = range.trim().toLowerCase().split('/');
    if (!type || !subtype) continue;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=').map((s) => s.trim().toLowerCase());
      if (name === 'q') q = Number.isFinite(Number(value)) ? Number(value) : 1;
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/**
 * Whether `header` accepts `mediaType`: the most specific range that matches it decides (RFC 9110 §12.5.1), and a
 * quality of 0 means "not acceptable". An empty or absent header accepts nothing here: MCP clients must send one.
 */
export function accepts(header: string | undefined, mediaType: string): boolean {
  if (!header) return false;
  const [type, subtype] = mediaType.split('/');
  let best: { specificity: number; q: number } | undefined;
  for (const range of parseAccept(header)) {
    const specificity =
      range.type === type && range.subtype === subtype
        ? 3
        : range.type === type && range.subtype === '*'
          ? 2
          : range.type === '*' && range.subtype === '*'
            ? 1
            : 0;
    if (specificity > (best?.specificity ?? 0)) best = { specificity, q: range.q };
  }
  return (best?.q ?? 0) > 0;
}

/** The client must accept a JSON answer (MCP clients list `application/json` and `text/event-stream`): 406 otherwise. */
export function acceptGuard(): Guard {
  return (request) =>
    accepts(request.headers['accept'], 'application/json')
      ? undefined
      : rejection(
          406,
          'InvalidRequest',
          'The Accept header must include application/json (and may include text/event-stream).',
        );
}
