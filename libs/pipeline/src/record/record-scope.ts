import type { ExpressionScope } from '../expression/expression';
import type { WorkingRecord } from './pipeline-record';

/** The expression scope of a record; headers are decoded as UTF-8 only when an expression asks. */
export function scopeOf(record: WorkingRecord): ExpressionScope {
  let headers: Record<string, string | null> | undefined;
  return {
    value: record.value,
    key: record.key,
    topic: record.metadata.topic,
    partition: record.metadata.partition,
    offset: record.metadata.offset,
    timestamp: record.metadata.timestamp,
    headers: () => {
      if (!headers) {
        headers = {};
        for (const h of record.headers) headers[h.key] = h.value === null ? null : h.value.toString('utf8');
      }
      return headers;
    },
  };
}

/** The value as a record (plain object); a step that needs fields calls this on a non-null value. */
export function valueFields(record: WorkingRecord): Readonly<Record<string, unknown>> {
  return record.value as Readonly<Record<string, unknown>>;
}
