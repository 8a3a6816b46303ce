/**
 * Driving the MCP endpoint in process, as a client would over HTTP: one POST to /mcp with an API key, and an audit
 * sink that keeps what the endpoint records.
 */
import { randomUUID } from 'node:crypto';
import type { AuditRecord, AuditSink } from '../../shared/audit/audit.js';
import type { McpEndpoint } from '../../shared/mcp/endpoint.js';
import type { HttpResponse } from '../../shared/mcp/http-types.js';

export interface PostMcpOptions {
  /** Added to (or replacing) the defaults; a header given as `undefined` is not sent at all. */
  headers?: Record<string, string | undefined>;
  /** What the request's `remainingMs()` answers; 30 s unless told. */
  remainingMs?: number;
  requestId?: string;
}

/** POSTs `body` (a string as is, anything else as JSON) to /mcp with `key` as the bearer token. */
export function postMcp(
  endpoint: McpEndpoint,
  key: string,
  body: unknown,
  options: PostMcpOptions = {},
): Promise<HttpResponse> {
  const headers: Record<string, string | undefined> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${key}`,
    ...options.headers,
  };
  return endpoint({
    method: 'POST',
    path: '/mcp',
    headers: Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    requestId: options.requestId ?? randomUUID(),
    remainingMs: () => options.remainingMs ?? 30_000,
  });
}

/** An audit sink that keeps what it is given. */
export function collectingAuditSink(): AuditSink & { records: AuditRecord[] } {
  const records: AuditRecord[] = [];
  return {
    records,
    async record(record) {
      // As the audit table keeps them: one record per call, its end replacing its start marker. A record without a
      // callId (a resource read, a prompt) is keyed apart by the table, so it is never replaced.
      const earlier = record.callId === undefined ? -1 : records.findIndex((kept) => kept.callId === record.callId);
      if (earlier >= 0) records[earlier] = record;
      else records.push(record);
    },
  };
}
