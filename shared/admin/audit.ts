import type { AuditRecord } from '../audit/audit.js';
import { searchAuditRecords } from '../store/audit-records.js';
import type { TableRef } from '../store/items.js';
import { AdminError } from './admin-error.js';

export interface AuditSearch {
  agentId?: string;
  tool?: string;
  /** The tenant whose agents' records to return. */
  tenant?: string;
  /** ISO-8601, inclusive. */
  since: string;
  /** ISO-8601, exclusive. @default now */
  until?: string;
  /** The most recent records to return. @default 100 */
  limit?: number;
}

export interface AuditPage {
  /** The latest `limit` records of the range, oldest first. */
  records: AuditRecord[];
  /** True when the range holds older records than those returned. */
  truncated: boolean;
}

const byTimeDescending = (a: AuditRecord, b: AuditRecord) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0);

/**
 * The latest audit records of a time range: by agent (a Query on the table), by tenant (a Query on the `byTenant`
 * index), by tool (a Query on the `byTool` index), by several (the most selective, filtered by the others), or all
 * (a Scan, for small tables and ad-hoc use).
 */
export async function searchAudit(store: TableRef, search: AuditSearch): Promise<AuditPage> {
  const limit = search.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1)
    throw new AdminError('INVALID_INPUT', 'The limit must be a positive integer.');
  // Times compare as strings, so both bounds take the exact form records use (`toISOString()`).
  const since = isoTime(search.since, 'since');
  const until = search.until === undefined ? new Date(Date.now() + 1000).toISOString() : isoTime(search.until, 'until');
  if (since >= until) throw new AdminError('INVALID_INPUT', `The range is empty: ${since} is not before ${until}.`);
  const keyed = Boolean(search.agentId || search.tool || search.tenant);
  const found = await searchAuditRecords<AuditRecord>(
    store,
    { since, until, agentId: search.agentId, tool: search.tool, tenant: search.tenant },
    // Queries read newest first, so one record past the limit is enough to know there are more.
    (records) => keyed && records.length > limit,
  );
  found.sort(byTimeDescending);
  return { records: found.slice(0, limit).reverse(), truncated: found.length > limit };
}

function isoTime(value: string, name: string): string {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new AdminError('INVALID_INPUT', `"${name}" is not a date: ${value}`);
  return time.toISOString();
}
