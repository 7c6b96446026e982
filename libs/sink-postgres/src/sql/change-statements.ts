import { type ColumnPlan, type TargetTable } from '../plan/row-change';
import { ident, literal } from './identifiers';

// The multi-row statements the sink writes a batch with. Every column travels as one text[]
// parameter (`unnest`), cast to the column type in SQL: one statement and one round trip per table
// and kind of change, whatever the batch size. Pure: text only, specs beside.

/** Bookkeeping columns every target table carries: the source position of the row's last write. */
export const LSN_COLUMN = '__sluice_lsn';
export const TS_COLUMN = '__sluice_ts_ms';

/** Sluice's own tables, qualified. */
export interface BookkeepingTables {
  readonly offsets: string;
  readonly conflicts: string;
  readonly deletions: string;
  readonly migrations: string;
  /** Two-way sync: each row's last writer applied by the sink, and tombstones. */
  readonly syncRows: string;
  /** Two-way sync: the trigger function leaving a tombstone for a local delete. */
  readonly tombstoneFunction: string;
  /** Two-way sync: raises a serialization failure (the batch is retried) when its argument is not 0. */
  readonly retryFunction: string;
  /**
   * Two-way sync: calls a table's resolution function, turning its failure or malformed answer into
   * an error of its own SQLSTATE (RESOLUTION_FAILED, RESOLUTION_MALFORMED), so the change is
   * dead-lettered.
   */
  readonly resolveFunction: string;
}

const POSITION = (alias: string) =>
  `(coalesce(${alias}.${ident(LSN_COLUMN)}, -1), coalesce(${alias}.${ident(TS_COLUMN)}, -1))`;
const INCOMING = '(coalesce(u.__lsn::bigint, -1), coalesce(u.__ts::bigint, -1))';

function unnestSource(columns: readonly string[]): string {
  const params = columns.map((_, i) => `$${i + 1}::text[]`).join(', ');
  return `SELECT * FROM unnest(${params}) WITH ORDINALITY AS u(${columns.join(', ')}, __ord)`;
}

const alias = (i: number): string => `c${i}`;
const cast = (column: ColumnPlan, i: number): string => `u.${alias(i)}::${column.type.pgType}`;

/**
 * `<left>.<key> = <values>.c<i>::<type>` for each key column: the rows of `left` that the unnested
 * parameter row `values` (its columns c0, c1, … in the order of `columns`) addresses.
 */
export function keyMatch(
  table: TargetTable,
  left: string,
  columns: readonly ColumnPlan[],
  values = 'u',
): string {
  return table.keyColumns
    .map((key) => {
      const i = columns.findIndex((c) => c.name === key.name);
      return `${left}.${ident(key.name)} = ${values}.${alias(i)}::${columns[i]!.type.pgType}`;
    })
    .join(' AND ');
}

/**
 * Upsert of `table.columns` rows. Parameters: one text[] per column, then lsn[], ts_ms[], key id[].
 * With `lww`, a row is written only when the incoming position is at least the stored one (and
 * newer than a recorded deletion of the key); the statement returns the overruled rows (1-based
 * ordinal in the arrays, with the position that beat them). `setColumns` limits the columns an
 * update writes (field-level merge); an insert always writes every column.
 */
export function upsertStatement(
  table: TargetTable,
  books: BookkeepingTables,
  lww: boolean,
  setColumns?: readonly boolean[],
): string {
  const { columns } = table;
  const names = columns.map((c) => ident(c.name));
  const keys = table.keyColumns.map((c) => ident(c.name)).join(', ');
  const keyNames = new Set(table.keyColumns.map((c) => c.name));
  const sets = columns
    .filter((c, i) => !keyNames.has(c.name) && (setColumns === undefined || setColumns[i]))
    .map((c) => `${ident(c.name)} = EXCLUDED.${ident(c.name)}`);
  sets.push(`${ident(LSN_COLUMN)} = EXCLUDED.${ident(LSN_COLUMN)}`);
  sets.push(`${ident(TS_COLUMN)} = EXCLUDED.${ident(TS_COLUMN)}`);
  const source = unnestSource([...columns.map((_, i) => alias(i)), '__lsn', '__ts', '__key']);
  const insert =
    `INSERT INTO ${table.qualified} AS cur (${names.join(', ')}, ${ident(LSN_COLUMN)}, ${ident(TS_COLUMN)}) ` +
    `SELECT ${columns.map(cast).join(', ')}, u.__lsn::bigint, u.__ts::bigint FROM u`;
  if (!lww) return `WITH u AS (${source}) ${insert} ON CONFLICT (${keys}) DO UPDATE SET ${sets.join(', ')}`;
  const tableName = literal(`${table.schema}.${table.name}`);
  return (
    `WITH u AS (${source}), ins AS (${insert} ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${books.deletions} d WHERE d.table_name = ${tableName} ` +
    `AND d.row_key = u.__key AND (d.lsn, d.ts_ms) > ${INCOMING}) ` +
    `ON CONFLICT (${keys}) DO UPDATE SET ${sets.join(', ')} ` +
    `WHERE ${POSITION('cur')} <= ${POSITION('EXCLUDED')} RETURNING ${keys}) ` +
    `SELECT u.__ord AS ord, coalesce(cur.${ident(LSN_COLUMN)}, d.lsn) AS lsn, ` +
    `coalesce(cur.${ident(TS_COLUMN)}, d.ts_ms) AS ts_ms FROM u ` +
    `LEFT JOIN ${table.qualified} cur ON ${keyMatch(table, 'cur', columns)} ` +
    `LEFT JOIN ${books.deletions} d ON d.table_name = ${tableName} AND d.row_key = u.__key ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ${keyMatch(table, 'ins', columns)})`
  );
}

/**
 * Takes a transaction-scoped advisory lock per row key of a batch (parameter: text[] of
 * `<qualified table>` US `<key id>`), in one global order so two batches never wait on each other in a
 * circle. Last-writer-wins decides with what a statement sees, and under READ COMMITTED two batches
 * writing one key at once (the key routed to two topics, or two partitions) can each miss the
 * other: an insert waiting on a row a concurrent delete removes goes ahead once the delete commits,
 * although the deletion it recorded is newer. Holding the key for the whole transaction makes the
 * second batch see the first one's outcome.
 */
export function keyLockStatement(): string {
  return (
    'SELECT count(pg_advisory_xact_lock(h)) FROM ' +
    '(SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS ordered'
  );
}

/**
 * Delete by key. Parameters: one text[] per key column, then lsn[], ts_ms[], key id[]. With `lww`,
 * a row newer than the delete survives (returned as overruled: ordinal and its position), and the
 * deletion's position is remembered in the deletions table so an older insert replayed later
 * cannot bring the row back.
 */
export function deleteStatement(table: TargetTable, books: BookkeepingTables, lww: boolean): string {
  const keys = table.keyColumns;
  const source = unnestSource([...keys.map((_, i) => alias(i)), '__lsn', '__ts', '__key']);
  const match = keyMatch(table, 'cur', keys);
  if (!lww) return `WITH u AS (${source}) DELETE FROM ${table.qualified} cur USING u WHERE ${match}`;
  const tableName = literal(`${table.schema}.${table.name}`);
  return (
    `WITH u AS (${source}), ` +
    `del AS (DELETE FROM ${table.qualified} cur USING u WHERE ${match} ` +
    `AND ${POSITION('cur')} <= ${INCOMING} RETURNING u.__ord), ` +
    `mark AS (INSERT INTO ${books.deletions} AS d (table_name, row_key, lsn, ts_ms) ` +
    `SELECT ${tableName}, u.__key, coalesce(u.__lsn::bigint, -1), coalesce(u.__ts::bigint, -1) FROM u ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${table.qualified} cur WHERE ${match} AND ${POSITION('cur')} > ${INCOMING}) ` +
    `ON CONFLICT (table_name, row_key) DO UPDATE SET lsn = EXCLUDED.lsn, ts_ms = EXCLUDED.ts_ms ` +
    `WHERE (d.lsn, d.ts_ms) < (EXCLUDED.lsn, EXCLUDED.ts_ms)) ` +
    `SELECT u.__ord AS ord, cur.${ident(LSN_COLUMN)} AS lsn, cur.${ident(TS_COLUMN)} AS ts_ms ` +
    `FROM u JOIN ${table.qualified} cur ON ${match} WHERE ${POSITION('cur')} > ${INCOMING}`
  );
}

/** Truncate (`op: t`): deletes the rows not newer than the truncate. Parameters: lsn, ts_ms. */
export function truncateStatement(table: TargetTable, lww: boolean): string {
  if (!lww) return `DELETE FROM ${table.qualified}`;
  return `DELETE FROM ${table.qualified} cur WHERE ${POSITION('cur')} <= (coalesce($1::bigint, -1), coalesce($2::bigint, -1))`;
}

/** History rows. Parameters (text[] each): op, lsn, ts_ms, before, after, topic, partition, offset. */
export function historyStatement(table: TargetTable): string {
  return (
    `INSERT INTO ${historyTableOf(table)} (op, source_lsn, source_ts_ms, before, after, topic, "partition", "offset") ` +
    `SELECT op, lsn::bigint, ts::bigint, b::jsonb, a::jsonb, t, p::int, o::bigint ` +
    `FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) ` +
    `AS u(op, lsn, ts, b, a, t, p, o)`
  );
}

export function historyTableOf(table: TargetTable): string {
  return `${ident(table.schema)}.${ident(`${table.name}_history`)}`;
}

/** Overruled writes. Parameters (text[] each): table, key, op, in lsn, in ts, cur lsn, cur ts, rejected, topic, partition, offset. */
export function conflictStatement(books: BookkeepingTables): string {
  return (
    `INSERT INTO ${books.conflicts} (table_name, row_key, op, incoming_lsn, incoming_ts_ms, current_lsn, ` +
    `current_ts_ms, rejected, topic, "partition", "offset") ` +
    `SELECT tn, k::jsonb, op, il::bigint, it::bigint, cl::bigint, ct::bigint, r::jsonb, t, p::int, o::bigint ` +
    `FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], ` +
    `$9::text[], $10::text[], $11::text[]) AS u(tn, k, op, il, it, cl, ct, r, t, p, o)`
  );
}
