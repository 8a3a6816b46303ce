import type { Logger } from '../logging/logger.js';
import { createAuditRecordStore } from '../store/audit-records.js';
import type { TableRef } from '../store/items.js';
import { type AuditRecord, type AuditSink, createLogAuditSink } from './audit.js';

export interface DynamoAuditSinkOptions extends TableRef {
  retentionDays: number;
  logger: Logger;
}

/**
 * Writes each record to the audit table (shared/store/audit-records.ts) and as a structured log line (the line is
 * written first and always, so a record survives a DynamoDB failure in the logs). One conditional PutItem per record:
 * nothing is overwritten but a call's own start marker by its end.
 */
export function createDynamoAuditSink(options: DynamoAuditSinkOptions): AuditSink {
  const lines = createLogAuditSink(options.logger);
  const store = createAuditRecordStore<AuditRecord>(options);
  let sequence = 0;
  return {
    async record(record) {
      await lines.record(record);
      await store.put({ record, fallbackId: `${process.pid.toString(36)}.${(++sequence).toString(36)}` });
    },
  };
}
