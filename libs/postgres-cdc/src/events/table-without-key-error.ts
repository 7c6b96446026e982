import { ConfigError } from '@sluice/errors';

/**
 * A captured table has nothing to key its events by: no primary key, no replica identity index,
 * no `keyColumns` configured, and not REPLICA IDENTITY FULL (whose events have a null key, as
 * Debezium's): its updates and deletes could not name the row.
 */
export class TableWithoutKeyError extends ConfigError {
  constructor(readonly table: string) {
    super(
      `Table ${table} has no primary key and no replica identity index: add a primary key, ` +
        `ALTER TABLE ... REPLICA IDENTITY USING INDEX, name its key columns (tables.keyColumns), or ALTER TABLE ... ` +
        `REPLICA IDENTITY FULL (events then have a null key, as Debezium's)`,
    );
  }
}
