import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../logging/logger.js';

/**
 * Large results as resource links: a tool result whose text is over a threshold is stored (S3) and answered with a
 * short summary and a `resource_link` that the caller who made the call reads back with `resources/read`. This module
 * is what every instance loads: the decision, cheap and without I/O; storing, summarising and reading are in
 * linked-results.ts, loaded (with the S3 client) on the first result that is linked or read.
 */

/** Every result link's URI starts so: `mcp-cluster://results/<id>`, and `?part=<n>` for a part of a large one. */
export const RESULT_LINK_PREFIX = 'mcp-cluster://results/';

/** Metadata key of a linked result (in the tool call's `_meta`) and of a part read back (in `resources/read`'s). */
export const RESULT_LINK_META_KEY = 'mcp-cluster/result-link';

/** What `resources/read` asks of the stored results. */
export interface ResultLinks {
  /** True when `uri` is one of ours (its scheme/prefix), whoever asks. */
  owns(uri: string): boolean;
  /**
   * The stored result behind `uri` for this caller: contents as resources/read returns them (with `_meta` naming the
   * next part of a result read in parts), or undefined when it is unknown, expired or another caller's.
   */
  read(
    uri: string,
    principal: Principal,
  ): Promise<{ contents: Record<string, unknown>[]; _meta?: Record<string, unknown> } | undefined>;
}

/** What the audit record of the call notes about a linked result. */
export interface LinkedResult {
  uri: string;
  /** Bytes stored (the result's text, UTF-8). */
  bytes: number;
}

/** The call whose result may be linked. */
export interface LinkedCall {
  tool: string;
  principal: Principal;
  /** The tool promises an output schema: its caller relies on `structuredContent`, so its result is never linked. */
  structured: boolean;
  logger: Logger;
}

/** What `tools/call` asks, where a result is fitted to its size. */
export interface ResultLinker extends ResultLinks {
  /**
   * The result with its text stored and replaced by a summary and a link, when its text is over the threshold;
   * undefined when it is not linked (small, an error, structured, or the store could not be written: the result is
   * then answered as before).
   */
  offload(
    result: CallToolResult,
    call: LinkedCall,
  ): Promise<{ result: CallToolResult; linked: LinkedResult } | undefined>;
}

export interface ResultLinksOptions {
  /** The results bucket (`RESULT_BUCKET_NAME`). */
  bucket: string;
  /** An S3 client, or (without one) the configuration of the client made on first use. */
  client?: S3Client;
  clientConfig?: S3ClientConfig;
  /** A result whose text is over this many bytes (UTF-8) is linked (`RESULT_LINK_THRESHOLD_BYTES`). */
  thresholdBytes: number;
  /** How long the caller may read it back (`RESULT_LINK_TTL_SECONDS`). */
  ttlSeconds: number;
  /** Largest answer once encoded (`MAX_RESULT_BYTES`): a result read back is split into parts that each fit. */
  maxResultBytes: number;
  /** @default Date.now */
  now?: () => number;
}

/** Whether the text blocks of `result` hold more than `threshold` bytes (UTF-8). */
export function textExceeds(result: CallToolResult, threshold: number): boolean {
  let bytes = 0;
  for (const block of result.content ?? []) if (block.type === 'text') bytes += Buffer.byteLength(block.text);
  return bytes > threshold;
}

export function createResultLinks(options: ResultLinksOptions): ResultLinker {
  let linked: ReturnType<typeof load> | undefined;
  const load = () => import('./linked-results.js').then((module) => module.createLinkedResults(options));
  const impl = () => (linked ??= load());
  const owns = (uri: string) => uri.startsWith(RESULT_LINK_PREFIX);
  return {
    owns,
    async offload(result, call) {
      if (call.structured || result.isError || result.structuredContent !== undefined) return undefined;
      if (!textExceeds(result, options.thresholdBytes)) return undefined;
      return (await impl()).offload(result, call);
    },
    async read(uri, principal) {
      return owns(uri) ? (await impl()).read(uri, principal) : undefined;
    },
  };
}
