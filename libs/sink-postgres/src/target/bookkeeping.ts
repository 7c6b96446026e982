import { type Pool, type PoolClient } from 'pg';
import { type BookkeepingTables } from '../sql/change-statements';
import { RESOLUTION_FAILED, RESOLUTION_MALFORMED, SYNC_APPLY_SETTING } from '../sql/sync-statements';
import { ident } from '../sql/identifiers';

export function bookkeepingTables(schema: string): BookkeepingTables {
  const q = (name: string) => `${ident(schema)}.${ident(name)}`;
  return {
    offsets: q('sluice_sink_offsets'),
    conflicts: q('sluice_conflicts'),
    deletions: q('sluice_deletions'),
    migrations: q('sluice_schema_migrations'),
    syncRows: q('sluice_sync_rows'),
    tombstoneFunction: q('sluice_sync_tombstone'),
    retryFunction: q('sluice_sync_retry'),
    resolveFunction: q('sluice_sync_resolve'),
  };
}

/**
 * Creates Sluice's own tables in the target database when missing (idempotent, under an advisory
 * lock so sink instances starting together do not race): consumed offsets with an owner epoch
 * (zombie fencing), overruled writes, deletion positions (LWW), and the DDL log.
 */
export async function ensureBookkeeping(
  pool: Pool,
  schema: string,
  options: { readonly sync?: boolean } = {},
): Promise<BookkeepingTables> {
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
    await addMissingColumns(client, books.offsets, [['applied_reset', 'text']]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${books.conflicts} (id bigserial PRIMARY KEY, table_name text NOT NULL, ` +
        `row_key jsonb NOT NULL, op text NOT NULL, incoming_lsn bigint, incoming_ts_ms bigint, ` +
        `current_lsn bigint, current_ts_ms bigint, rejected jsonb, topic text NOT NULL, "partition" int NOT NULL, ` +
        `"offset" bigint NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`,
    );
    // Two-way sync's decision: the rule, both sites, the winner and the version kept.
    await addMissingColumns(client, books.conflicts, [
      ['rule', 'text'],
      ['incoming_site', 'text'],
      ['current_site', 'text'],
      ['winner', 'text'],
      ['kept', 'jsonb'],
    ]);
    if (options.sync) await ensureSyncBookkeeping(client, books);
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

/**
 * Adds the columns a table made by an older version lacks. Altered only when missing: ALTER TABLE
 * locks the table even when there is nothing to add, and would wait for (and hold up) the
 * checkpoints of sink instances already running.
 */
async function addMissingColumns(
  client: PoolClient,
  table: string,
  columns: ReadonlyArray<readonly [string, string]>,
): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
    [table],
  );
  const present = new Set(rows.map((r) => r.name));
  for (const [name, type] of columns)
    if (!present.has(name)) await client.query(`ALTER TABLE ${table} ADD COLUMN ${ident(name)} ${type}`);
}

/**
 * Two-way sync's bookkeeping: `sluice_sync_rows`, per row the last writer the sink applied (the
 * peer's source commit time and site, and the xmin its write left on the row, so a later local
 * write is told by another xmin) or a tombstone (`deleted`; a local delete: no ts/site, the
 * deleting xid). The tombstone function is what the trigger on each synced table runs: it leaves
 * deletes made by the sink itself (setting sluice.sync_apply) to the sink.
 */
async function ensureSyncBookkeeping(client: PoolClient, books: BookkeepingTables): Promise<void> {
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${books.syncRows} (table_name text NOT NULL, row_key jsonb NOT NULL, ` +
      `ts_ms bigint, site text, xid xid, deleted boolean NOT NULL DEFAULT false, ` +
      `PRIMARY KEY (table_name, row_key))`,
  );
  await client.query(
    `CREATE OR REPLACE FUNCTION ${books.tombstoneFunction}() RETURNS trigger LANGUAGE plpgsql ` +
      `SECURITY DEFINER SET search_path = pg_catalog AS $fn$ BEGIN ` +
      `IF current_setting('${SYNC_APPLY_SETTING}', true) = 'on' THEN RETURN NULL; END IF; ` +
      `INSERT INTO ${books.syncRows} AS s (table_name, row_key, ts_ms, site, xid, deleted) ` +
      `SELECT TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, jsonb_agg(to_jsonb(OLD) -> a.k ORDER BY a.o), ` +
      `NULL, NULL, pg_current_xact_id()::xid, true FROM unnest(TG_ARGV) WITH ORDINALITY AS a(k, o) ` +
      `ON CONFLICT (table_name, row_key) DO UPDATE SET ts_ms = NULL, site = NULL, xid = EXCLUDED.xid, deleted = true; ` +
      `RETURN NULL; END $fn$`,
  );
  await client.query(
    `CREATE OR REPLACE FUNCTION ${books.retryFunction}(lost bigint) RETURNS bigint LANGUAGE plpgsql AS $fn$ BEGIN ` +
      `IF lost <> 0 THEN RAISE EXCEPTION 'two-way sync: a row was deleted here while the sink wrote it; retrying' ` +
      `USING ERRCODE = '40001'; END IF; RETURN lost; END $fn$`,
  );
  await client.query(resolveFunctionStatement(books));
}

/**
 * The wrapper the sync statements call a table's resolution function through (dynamic, as the
 * function is the table's setting): its error, whatever its SQLSTATE, becomes RESOLUTION_FAILED
 * (caught in a subtransaction, so only conflicts pay for it), and an answer that is not "local",
 * "incoming" or a row of the table (every column the local version has and no other, the key
 * unchanged; only when both sides have a row) is RESOLUTION_MALFORMED: the sink dead-letters the
 * change instead of writing something it cannot stand behind. Called with the row locked.
 */
function resolveFunctionStatement(books: BookkeepingTables): string {
  const malformed = (message: string, ...args: string[]) =>
    `RAISE EXCEPTION 'conflict function %.% returned %, ${message}', ` +
    `${['fs', 'fn', "coalesce(r::text, 'NULL')", ...args].join(', ')} USING ERRCODE = '${RESOLUTION_MALFORMED}';`;
  return (
    `CREATE OR REPLACE FUNCTION ${books.resolveFunction}(fs text, fn text, keys text[], l_row jsonb, ` +
    `i_row jsonb, l_ts bigint, i_ts bigint, l_site text, i_site text) ` +
    `RETURNS jsonb LANGUAGE plpgsql AS $fn$ DECLARE r jsonb; c text; BEGIN ` +
    `BEGIN EXECUTE format('SELECT %I.%I($1, $2, $3, $4, $5, $6)', fs, fn) INTO r ` +
    `USING l_row, i_row, l_ts, i_ts, l_site, i_site; ` +
    `EXCEPTION WHEN OTHERS THEN RAISE EXCEPTION 'conflict function %.% failed: % (SQLSTATE %)', ` +
    `fs, fn, SQLERRM, SQLSTATE USING ERRCODE = '${RESOLUTION_FAILED}'; END; ` +
    `IF r = '"local"'::jsonb OR r = '"incoming"'::jsonb THEN RETURN r; END IF; ` +
    `IF r IS NULL OR jsonb_typeof(r) <> 'object' THEN ` +
    malformed(`expected "local", "incoming" or the row to keep (a jsonb object)`) +
    ` END IF; ` +
    `IF l_row IS NULL OR i_row IS NULL THEN ` +
    malformed(`a row where one side is a deletion; only "local" or "incoming" decide there`) +
    ` END IF; ` +
    `FOREACH c IN ARRAY keys LOOP IF r -> c IS DISTINCT FROM l_row -> c THEN ` +
    malformed(`a row with another key (column %)`, 'c') +
    ` END IF; END LOOP; ` +
    `SELECT k INTO c FROM jsonb_object_keys(l_row) k WHERE NOT r ? k LIMIT 1; ` +
    `IF c IS NOT NULL THEN ` +
    malformed(`a row without column %`, 'c') +
    ` END IF; ` +
    `SELECT k INTO c FROM jsonb_object_keys(r) k WHERE NOT l_row ? k LIMIT 1; ` +
    `IF c IS NOT NULL THEN ` +
    malformed(`a row with column %, which the table has not`, 'c') +
    ` END IF; ` +
    `RETURN r; END $fn$`
  );
}
