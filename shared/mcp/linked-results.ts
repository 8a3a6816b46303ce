import { createHash, randomBytes } from 'node:crypto';
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/principal.js';
import { createResultObjectStore } from '../store/result-objects.js';
import { encodedBytes } from './response-size.js';
import {
  type LinkedCall,
  type LinkedResult,
  RESULT_LINK_META_KEY,
  RESULT_LINK_PREFIX,
  type ResultLinks,
  type ResultLinksOptions,
} from './result-links.js';

/**
 * Storing, summarising and reading back linked results (see result-links.ts). Loaded on the first result that is
 * linked or read, with the S3 client.
 *
 * - The stored object is the result's text (its text blocks, joined by newlines), as UTF-8; images, audio, embedded
 *   resources and resource links the tool returned stay in the answer, after the link.
 * - `mcp-cluster://results/<id>` reads it whole when it fits one answer (`MAX_RESULT_BYTES`); a larger one is read in
 *   parts, `…?part=0` to `…?part=<n-1>` (the link itself reads as part 0), each a byte range that ends on a character
 *   boundary and fits an answer, each naming the next in `_meta["mcp-cluster/result-link"].next`.
 * - Only the caller that made the call (same tenant and agent) reads it: its key is under the caller's digest, so for
 *   anyone else it does not exist; an expired, forged or malformed URI is answered the same way (undefined).
 */

/** Characters of the result shown in the summary. */
const PREVIEW_CHARS = 400;
/** Room kept in an answer for everything but the text (the envelope, the URI, `_meta`). */
const ANSWER_OVERHEAD_BYTES = 16_384;

const URI = /^mcp-cluster:\/\/results\/([A-Za-z0-9_-]{22})(?:\?part=(0|[1-9]\d{0,5}))?$/;

/** The id and part a result link names, or undefined when it is not a well-formed one. */
export function parseResultUri(uri: string): { id: string; part?: number } | undefined {
  const match = typeof uri === 'string' && uri.length <= 128 ? URI.exec(uri) : null;
  if (!match) return undefined;
  return { id: match[1]!, ...(match[2] === undefined ? {} : { part: Number(match[2]) }) };
}

export const resultUri = (id: string, part?: number) =>
  `${RESULT_LINK_PREFIX}${id}${part === undefined ? '' : `?part=${part}`}`;

/** The caller a result belongs to: its tenant and agent, digested (the key never shows who called). */
export function ownerOf(principal: Pick<Principal, 'tenant' | 'agentId'>): string {
  return createHash('sha256')
    .update(JSON.stringify([principal.tenant, principal.agentId]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * Bytes of text per part: the most any byte of UTF-8 text can cost in an answer is 7 (a control character is
 * `\u0001` in JSON text, escaped once more in the function's response body).
 */
export const partBytesFor = (maxResultBytes: number) =>
  Math.max(1_024, Math.floor((maxResultBytes - ANSWER_OVERHEAD_BYTES) / 7));

const isContinuation = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80;

/** The first character boundary at or after `offset` in `bytes` (a UTF-8 continuation byte is never one). */
function boundaryFrom(bytes: Uint8Array, offset: number): number {
  let at = offset;
  while (at < bytes.length && isContinuation(bytes[at])) at++;
  return at;
}

/** How many parts `bytes` is read in, each `partBytes` long (then to the next character boundary). */
export function countParts(bytes: Uint8Array, partBytes: number): number {
  let parts = 1;
  while (boundaryFrom(bytes, parts * partBytes) < bytes.length) parts++;
  return parts;
}

/** `application/json` for one text block that is JSON, else `text/plain`. */
export function mimeTypeOf(texts: readonly string[]): string {
  if (texts.length !== 1) return 'text/plain';
  const text = texts[0]!.trimStart();
  if (!text.startsWith('{') && !text.startsWith('[')) return 'text/plain';
  try {
    JSON.parse(text);
    return 'application/json';
  } catch {
    return 'text/plain';
  }
}

const size = (bytes: number) =>
  bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${Math.ceil(bytes / 1_000)} KB`;

/** The answer that stands for a linked result: a summary, the link, then the blocks that were not stored. */
export function linkedAnswer(
  result: CallToolResult,
  link: { tool: string; uri: string; bytes: number; mimeType: string; expiresAt: number; parts: number },
  text: string,
): CallToolResult {
  const until = new Date(link.expiresAt).toISOString();
  let preview = text.slice(0, PREVIEW_CHARS);
  if (/[\ud800-\udbff]$/.test(preview)) preview = preview.slice(0, -1);
  const parts =
    link.parts > 1
      ? ` It is read in ${link.parts} parts: ${link.uri} is the first, and each names the next in _meta["${RESULT_LINK_META_KEY}"].next (…?part=1 to …?part=${link.parts - 1}).`
      : '';
  const summary =
    `The result of ${link.tool} is ${size(link.bytes)} of ${link.mimeType}, too large to show here, so it was stored: ` +
    `read it with resources/read at ${link.uri} (only you can, until ${until}).${parts}` +
    `\nIt begins:\n${preview}${preview.length < text.length ? '…' : ''}`;
  const kept = (result.content ?? []).filter((block) => block.type !== 'text');
  const resourceLink: ContentBlock = {
    type: 'resource_link',
    uri: link.uri,
    name: `${link.tool}-result`,
    title: `Result of ${link.tool}`,
    mimeType: link.mimeType,
    size: link.bytes,
    description: `The whole result of ${link.tool}, readable by the caller that made the call until ${until}.`,
  };
  return {
    content: [{ type: 'text', text: summary }, resourceLink, ...kept],
    _meta: {
      ...(result._meta ?? {}),
      [RESULT_LINK_META_KEY]: {
        uri: link.uri,
        bytes: link.bytes,
        mimeType: link.mimeType,
        expiresAt: until,
        parts: link.parts,
      },
    },
  };
}

export function createLinkedResults(options: ResultLinksOptions): {
  offload(
    result: CallToolResult,
    call: LinkedCall,
  ): Promise<{ result: CallToolResult; linked: LinkedResult } | undefined>;
  read: ResultLinks['read'];
} {
  const store = createResultObjectStore({
    bucket: options.bucket,
    ...(options.client ? { client: options.client } : {}),
    ...(options.clientConfig ? { clientConfig: options.clientConfig } : {}),
  });
  const now = options.now ?? Date.now;
  const partBytes = partBytesFor(options.maxResultBytes);

  return {
    async offload(result, call) {
      const texts = (result.content ?? []).flatMap((block) => (block.type === 'text' ? [block.text] : []));
      const text = texts.join('\n');
      const body = Buffer.from(text, 'utf8');
      const mimeType = mimeTypeOf(texts);
      const id = randomBytes(16).toString('base64url');
      const uri = resultUri(id);
      const whole = encodedBytes(JSON.stringify(text)) + ANSWER_OVERHEAD_BYTES <= options.maxResultBytes;
      const parts = whole ? 1 : countParts(body, partBytes);
      const expiresAt = now() + options.ttlSeconds * 1_000;
      try {
        await store.put(ownerOf(call.principal), id, {
          body: text,
          mimeType,
          expiresAt,
          parts,
          partBytes: parts > 1 ? partBytes : 0,
          tool: call.tool,
        });
      } catch (error) {
        // The call ran: its result is answered as before (cut to fit if need be), never lost to the store.
        call.logger.warn('the result could not be stored as a link; answered in the response', {
          errorName: (error as Error).name,
        });
        return undefined;
      }
      const bytes = body.length;
      return {
        result: linkedAnswer(result, { tool: call.tool, uri, bytes, mimeType, expiresAt, parts }, text),
        linked: { uri, bytes },
      };
    },

    async read(uri, principal) {
      const parsed = parseResultUri(uri);
      if (!parsed) return undefined;
      const owner = ownerOf(principal);
      const head = await store.head(owner, parsed.id);
      if (!head || head.owner !== owner || head.expiresAt <= now()) return undefined;
      const part = parsed.part ?? 0;
      if (part >= head.parts || (head.parts > 1 && head.partBytes < 1)) return undefined;
      if (head.parts === 1) {
        const body = await store.read(owner, parsed.id);
        if (!body) return undefined;
        return { contents: [{ uri, mimeType: head.mimeType, text: body.toString('utf8') }] };
      }
      // A part: its byte range, and up to 3 bytes past it to end on a character boundary.
      const start = part * head.partBytes;
      const last = part === head.parts - 1;
      const end = last ? head.bytes : Math.min(head.bytes, start + head.partBytes + 3);
      const bytes = await store.read(owner, parsed.id, { start, end });
      if (!bytes) return undefined;
      const from = part === 0 ? 0 : boundaryFrom(bytes, 0);
      const to = last ? bytes.length : boundaryFrom(bytes, head.partBytes);
      return {
        contents: [{ uri, mimeType: head.mimeType, text: bytes.subarray(from, to).toString('utf8') }],
        _meta: {
          [RESULT_LINK_META_KEY]: {
            part,
            parts: head.parts,
            bytes: head.bytes,
            ...(last ? {} : { next: resultUri(parsed.id, part + 1) }),
          },
        },
      };
    },
  };
}
