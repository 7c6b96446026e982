import { type Pool } from 'pg';
import { type BookkeepingTables } from '../sql/change-statements';
import { ident } from '../sql/identifiers';

export function bookkeepingTables(schema: string): BookkeepingTables {
  const q = (name: string) => `${ident(schema)}.${ident(name)}`;
  return {
    offsets: q('sluice_sink_offsets'),
    conflicts: q('sluice_conflicts'),
    deletions: q('sluice_deletions'),
    migrations: q('sluice_schema_migrations'),
  };
}

/**
 * Creates Sluice's own tables in the target database when missing (idempotent, under an advisory
 * lock so sink instances starting together do not race): consumed offsets with an owner epoch
 * (zombie fencing), overruled writes, deletion positions (LWW), and the DDL log.
 */
export async function ensureBookkeeping(pool: Pool, schema: string): Promise<BookkeepingTables> {
  const books = bookkeepingTables(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('sluice-sink-bookkeeping'))");
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${books.offsets} (group_id text NOT NULL, topic text NOT NULL, ` +
        `"partition" int NOT NULL, next_offset bigint, epoch bigint NOT NULL DEFAULT 0, ` +
        `updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (group_id, topic, "partition"))`,
    );
    // The operator's offset reset (`sluice replay --group`) a row last took, so it is taken once.
    // Altered only when missing: ALTER TABLE locks the table even when there is nothing to add,
    // and would wait for (and hold up) the checkpoints of sink instances already running.
    const { rowCount } = await client.query(
      `SELECT 1 FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'applied_reset' AND NOT attisdropped`,
      [books.offsets],
    );
    if (rowCount === 0) await client.query(`ALTER TABLE ${books.offsets} ADD COLUMN applied_reset text`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${books.conflicts} (id bigserial PRIMARY KEY, table_name text NOT NULL, ` +
        `row_key jsonb NOT NULL, op text NOT NULL, incoming_lsn bigint, incoming_ts_ms bigint, ` +
        `current_lsn bigint, current_ts_ms bigint, rejected jsonb, topic text NOT NULL, "partition" int NOT NULL, ` +
        `"offset" bigint NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`,
    );
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${books.deletions} (table_name text NOT NULL, row_key text NOT NULL, ` +
        `lsn bigint NOT NULL, ts_ms bigint NOT NULL, PRIMARY KEY (table_name, row_key))`,
    );
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${books.migrations} (id bigserial PRIMARY KEY, table_name text NOT NULL, ` +
        `statement text NOT NULL, schema_id int, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return books;
}
