import type { CallToolResult } from '@modelcontextprotocol/server';

/**
 * What a JSON text costs in a Lambda response: the function returns an API Gateway proxy result, whose `body` is
 * this text as a JSON string, so its quotes and backslashes are escaped once more and every character counts in
 * UTF-8. Lambda refuses a synchronous response over 6 MB, which API Gateway answers with a 502.
 */
export function encodedBytes(json: string): number {
  // JSON text holds no raw control characters, so escaping at most doubles it, and UTF-8 takes at most 3 bytes per
  // UTF-16 unit: a text this short fits whatever it holds, and most answers are measured without a copy.
  if (json.length * 6 <= SMALL_ENOUGH) return json.length * 6;
  return Buffer.byteLength(JSON.stringify(json), 'utf8');
}

const SMALL_ENOUGH = 256 * 1024;

/** Metadata key of a result that was cut to fit a response. */
export const TRUNCATED_META_KEY = 'mcp-cluster/truncated';

/**
 * A tool result that fits in `maxBytes` once encoded: as it is when it fits; otherwise its text (text blocks, in
 * order), cut to fit, followed by a note saying how large the result was and that it was cut, and marked in `_meta`.
 * Images, audio and embedded resources cannot be cut and are left out (the note says so). A result the caller relies
 * on in full (`structured`: the tool promises an output schema) is not cut but refused (`undefined`).
 */
export function fitResult(
  result: CallToolResult,
  maxBytes: number,
  options: { structured: boolean },
): { result: CallToolResult; cutFrom?: number } | undefined {
  const size = encodedBytes(JSON.stringify(result));
  if (size <= maxBytes) return { result };
  if (options.structured) return undefined;
  const texts: string[] = [];
  let leftOut = 0;
  for (const block of result.content ?? []) {
    if (block.type === 'text') texts.push(block.text);
    else leftOut++;
  }
  const mb = (bytes: number) => (bytes / 1_000_000).toFixed(1);
  const note = `\n\n[Cut: the whole result was ${mb(size)} MB, over the ${mb(maxBytes)} MB a response may carry${
    leftOut ? `; ${leftOut} non-text block(s) left out` : ''
  }. Ask for less (a narrower query, a page, a range) to see the rest.]`;
  // 6 bytes per character is the most any character can cost once encoded twice; 4 KB for the rest of the answer.
  const budget = Math.max(0, Math.floor((maxBytes - 4_096) / 6) - note.length);
  let text = texts.join('\n');
  text = text.slice(0, budget);
  // Never end on half of a surrogate pair.
  if (/[\ud800-\udbff]$/.test(text)) text = text.slice(0, -1);
  return {
    result: {
      content: [{ type: 'text', text: `${text}${note}` }],
      ...(result.isError ? { isError: true } : {}),
      _meta: { ...(result._meta ?? {}), [TRUNCATED_META_KEY]: { encodedBytes: size, limitBytes: maxBytes } },
    },
    cutFrom: size,
  };
}
