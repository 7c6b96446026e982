import { ConfigError } from '@sluice/errors';

/**
 * A captured table has nothing to key its events by: no primary key, no replica identity index
 * and no `keyColumns` configured. Sluice topics are keyed (ordering per key, compaction), so the
 * table must get a primary key, `REPLICA IDENTITY USING INDEX`, or configured key columns.
 */
export class TableWithoutKeyError extends ConfigError {
  constructor(readonly table: string) {
    super(
      `Table ${table} has no primary key and no replica identity index: add a primary key, ` +
        `ALTER TABLE ... REPLICA IDENTITY USING INDEX, or configure its key columns`,
    );
  }
}
