import { type ConflictPolicy, functionParts, type SqlWriter } from '../conflict/conflict-policy';
import { type ColumnPlan, type TargetTable } from '../plan/row-change';
import { type BookkeepingTables, keyMatch, LSN_COLUMN, TS_COLUMN } from './change-statements';
import { ident, literal } from './identifiers';

// Two-way sync's statements: the upsert and delete of sink-postgres with the conflict decision
// inside, against the row's last writer. That writer is the peer's change the sink applied last
// (`sluice_sync_rows`: its source commit time and site, and the xmin the write left on the row),
// unless the row's xmin is another: then someone wrote the row here since, and the last writer is
// this site at that transaction's commit time (pg_xact_commit_timestamp). A row deleted here
// leaves a tombstone in `sluice_sync_rows` (a trigger, `deleted`, the deleting xid). Pure: text.

/** What every sync statement needs to know besides the table. */
export interface SyncContext {
  readonly books: BookkeepingTables;
  readonly policy: ConflictPolicy;
  /** This database's site id: the last writer of local writes. */
  readonly site: string;
  /** The site the applied changes come from. */
  readonly peerSite: string;
  /** track_commit_timestamp is on: local writes have a commit time (else it is unknown, NULL). */
  readonly commitTimestamps: boolean;
}

/** SQLSTATE of a resolution function that raised an error (the sink's wrapper re-raises it so). */
export const RESOLUTION_FAILED = 'SLF01';
/** SQLSTATE of a resolution function's answer that is none of "local", "incoming" or a whole row. */
export const RESOLUTION_MALFORMED = 'SLF02';

/** The GUC the sink sets (transaction-local) so the tombstone trigger leaves its own deletes out. */
export const SYNC_APPLY_SETTING = 'sluice.sync_apply';

const alias = (i: number): string => `c${i}`;
const cast = (column: ColumnPlan, i: number): string => `k.${alias(i)}::${column.type.pgType}`;

function unnestSource(columns: readonly string[]): string {
  const params = columns.map((_, i) => `$${i + 1}::text[]`).join(', ');
  return `SELECT * FROM unnest(${params}) WITH ORDINALITY AS u(${columns.join(', ')}, __ord)`;
}

/** The row key as `sluice_sync_rows.row_key` holds it: a jsonb array of the key values (to_jsonb). */
function rowKey(table: TargetTable, value: (column: ColumnPlan) => string): string {
  return `jsonb_build_array(${table.keyColumns.map((c) => `to_jsonb(${value(c)})`).join(', ')})`;
}

const indexOf = (columns: readonly ColumnPlan[], column: ColumnPlan): number =>
  columns.findIndex((c) => c.name === column.name);

function localTs(ctx: SyncContext, xid: string): string {
  return ctx.commitTimestamps
    ? `floor(extract(epoch FROM pg_xact_commit_timestamp(${xid})) * 1000)::bigint`
    : 'NULL::bigint';
}

const LOCAL = (ctx: SyncContext) => literal(ctx.site);
const PEER = (ctx: SyncContext) => literal(ctx.peerSite);

/** A tombstone's writer: the peer's delete (ts, site), or a local delete (its xid's commit time). */
const tombstone = (ctx: SyncContext, s: string): SqlWriter => ({
  ts: `coalesce(${s}.ts_ms, ${localTs(ctx, `${s}.xid`)})`,
  site: `coalesce(${s}.site, ${LOCAL(ctx)})`,
});

/**
 * Whether the incoming change wins over the existing row `cur`: against the sink's last write
 * when the row still carries its xmin, else against the local write that changed it since.
 */
function winsOverRow(ctx: SyncContext, table: TargetTable, incoming: SqlWriter): string {
  const books = ctx.books;
  // A resolution function decides between versions, and this row's was not there to be handed to
  // it (inserted here after the statement's snapshot): the transaction is retried, and `here` then
  // holds the row.
  if (ctx.policy.resolver !== undefined) return `(${books.retryFunction}(1) = 0)`;
  const name = literal(`${table.schema}.${table.name}`);
  const rk = rowKey(table, (c) => `cur.${ident(c.name)}`);
  const applied = ctx.policy.winsSql(incoming, { ts: 's.ts_ms', site: 's.site' });
  const local = ctx.policy.winsSql(incoming, { ts: localTs(ctx, 'cur.xmin'), site: LOCAL(ctx) });
  return (
    `coalesce((SELECT ${applied} FROM ${books.syncRows} s WHERE s.table_name = ${name} ` +
    `AND s.row_key = ${rk} AND s.xid = cur.xmin AND NOT s.deleted), ${local})`
  );
}

/**
 * The decision per incoming change, in CTEs `here` (the existing rows, locked: FOR UPDATE waits for
 * a local transaction writing one and reads its outcome) and `dec`: `apply`, and the last writer
 * (`w_ts`, `w_site`) and version (`kept`) that overrule it when it is not applied. A change whose
 * full before image equals the row here was made on top of it: no conflict, applied whatever the
 * rule (`same`). With `merge` (`changed`: the columns the change, or the changes folded into it,
 * wrote), an update whose changed columns were not changed here (its before image against the
 * row) is applied too: it writes only those columns (`apart`). A key without a row is decided
 * against its tombstone, if any.
 *
 * Equal values are not the same version: a row written here after the change committed (a local
 * write the peer had not seen when it made the change) that holds the change's before image again
 * — changed and changed back, deleted and inserted anew, or updated to the same values — is no
 * continuation of it; the rule decides, as the other side decides between the same two writers.
 */
function decisionCtes(
  ctx: SyncContext,
  table: TargetTable,
  match: string,
  changed: readonly boolean[] | undefined,
  incomingRow: boolean,
): string {
  const { books } = ctx;
  const name = literal(`${table.schema}.${table.name}`);
  const keyNames = new Set(table.keyColumns.map((c) => c.name));
  const same = table.columns
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => !keyNames.has(c.name))
    .map(({ c, i }) => `t.${ident(c.name)} IS NOT DISTINCT FROM k.b${i}::${c.type.pgType}`);
  const sameValues = same.length === 0 ? `k.__hb = 't'` : `(k.__hb = 't' AND ${same.join(' AND ')})`;
  // Column-level merge: no column both written by the incoming update and changed here. Written:
  // the columns of `changed` — of every change folded into this one, not its first before against
  // its last after (a column changed and changed back within the chain was written all the same).
  // An update that wrote no column is a write of its whole row, decided by the rule.
  const written = table.columns
    .map((c, i) => ({ c, i }))
    .filter(({ c, i }) => !keyNames.has(c.name) && changed?.[i] === true);
  const apartSql =
    changed === undefined || written.length === 0
      ? 'false'
      : `(k.__hb = 't' AND ${written
          .map(({ c, i }) => `t.${ident(c.name)} IS NOT DISTINCT FROM k.b${i}::${c.type.pgType}`)
          .join(' AND ')})`;
  const applied = 's.xid = t.xmin AND NOT s.deleted';
  const wTs = `CASE WHEN ${applied} THEN s.ts_ms ELSE ${localTs(ctx, 't.xmin')} END`;
  const wSite = `CASE WHEN ${applied} THEN s.site ELSE ${LOCAL(ctx)} END`;
  // Written here (by this site) no earlier than the change: the peer had not seen this version, so
  // its values equal to the change's before image are a coincidence, not the version it was made on.
  // A table rewrite (ALTER TABLE … TYPE) gives every row the rewriting transaction's xmin, which
  // is also the xmin of the table's pg_class row while no later DDL touched it: those rows were
  // not written here, their values are the versions the peer saw (else a type change made on both
  // sides would overrule every change made before it on the other side, and the sides differ).
  const rewritten = `t.xmin = (SELECT xmin FROM pg_class WHERE oid = ${literal(table.qualified)}::regclass)`;
  const newerHere = `(${wSite} = ${LOCAL(ctx)} AND coalesce(${wTs}, -1) >= k.__ts::bigint AND NOT ${rewritten})`;
  const sameSql = `(${sameValues} AND NOT ${newerHere})`;
  const apartGuarded =
    apartSql === 'false' ? 'false' : `(${apartSql} AND NOT (${sameValues} AND ${newerHere}))`;
  const incoming: SqlWriter = { ts: 'k.__ts::bigint', site: PEER(ctx) };
  const tomb = tombstone(ctx, 's');
  const writer: SqlWriter = { ts: 'c.w_ts', site: 'c.w_site' };
  // A resolution function's answer (jsonb: "local", "incoming" or the row to keep), asked only
  // where a version is at stake on both sides: a row here the change is no continuation of, or a
  // tombstone here against an incoming row. NULL elsewhere (the writers' order decides).
  const resolver = ctx.policy.resolver;
  let res = 'NULL::jsonb';
  if (resolver !== undefined) {
    const fn = functionParts(resolver);
    const version = incomingRow
      ? `jsonb_build_object(${table.columns.map((c, i) => `${literal(c.name)}, k.c${i}::${c.type.pgType}`).join(', ')})`
      : 'NULL::jsonb';
    const keys = `ARRAY[${table.keyColumns.map((c) => literal(c.name)).join(', ')}]::text[]`;
    const call = (local: string, w: SqlWriter) =>
      `${books.resolveFunction}(${literal(fn.schema)}, ${literal(fn.name)}, ${keys}, ${local}, ${version}, ` +
      `${w.ts}, k.__ts::bigint, ${w.site}, ${PEER(ctx)})`;
    const tombCall = incomingRow ? call('NULL::jsonb', tomb) : 'NULL::jsonb';
    res =
      `CASE WHEN c.__ord IS NOT NULL THEN CASE WHEN c.same OR c.apart THEN NULL ELSE ` +
      `${call('c.kept', writer)} END WHEN s.deleted THEN ${tombCall} END`;
  }
  const decided = (otherwise: string) =>
    resolver === undefined ? otherwise : `coalesce(r.res <> '"local"'::jsonb, ${otherwise})`;
  return (
    `here AS (SELECT k.__ord, t.xmin AS x, ${sameSql} AS same, ${apartGuarded} AS apart, ` +
    `${wTs} AS w_ts, ${wSite} AS w_site, ` +
    `to_jsonb(t) - ${literal(LSN_COLUMN)} - ${literal(TS_COLUMN)} AS kept ` +
    `FROM k JOIN ${table.qualified} t ON ${match} ` +
    `LEFT JOIN ${books.syncRows} s ON s.table_name = ${name} AND s.row_key = k.__rk FOR UPDATE OF t), ` +
    `dec AS (SELECT k.__ord, k.__rk, c.x, c.same, c.apart, r.res, s.xid AS t_xid, s.ts_ms AS t_ts, ` +
    `CASE WHEN c.__ord IS NOT NULL THEN ${ctx.policy.winsSql(incoming, writer)} END AS wins, ` +
    `CASE WHEN c.__ord IS NOT NULL THEN c.same OR c.apart OR ${decided(ctx.policy.winsSql(incoming, writer))} ` +
    `WHEN s.deleted THEN ${decided(ctx.policy.winsSql(incoming, tomb))} ELSE true END AS apply, ` +
    `CASE WHEN c.__ord IS NOT NULL THEN c.w_ts ELSE ${tomb.ts} END AS w_ts, ` +
    `CASE WHEN c.__ord IS NOT NULL THEN c.w_site ELSE ${tomb.site} END AS w_site, c.kept, ` +
    `c.__ord IS NOT NULL AS present ` +
    `FROM k LEFT JOIN here c ON c.__ord = k.__ord ` +
    `LEFT JOIN ${books.syncRows} s ON s.table_name = ${name} AND s.row_key = k.__rk ` +
    // Evaluated once per change (LATERAL), after `here` locked the row.
    `CROSS JOIN LATERAL (SELECT ${res} AS res) r)`
  );
}

/** Columns of `unnest`: the values (`c<i>`), lsn, ts, the before image (`b<i>`) and whether it is full. */
function syncSource(valueCount: number, table: TargetTable): string {
  const names = [
    ...Array.from({ length: valueCount }, (_, i) => alias(i)),
    '__lsn',
    '__ts',
    ...table.columns.map((_, i) => `b${i}`),
    '__hb',
  ];
  return unnestSource(names);
}

/**
 * Upsert with the sync decision. Parameters (text[] each): one per column of `table.columns`,
 * lsn, ts_ms, one per column of the before image, and whether that image is full (`t`). A key
 * without a row is inserted unless a tombstone beats the change (no resurrection); an existing row
 * is updated when the change wins (`setColumns`: the columns an update writes). Each written row's
 * writer goes to sluice_sync_rows in the same statement. Returns the overruled changes: ordinal,
 * the winning writer's ts_ms and site, and the version kept (jsonb; null when a deletion won); a
 * row with a null ordinal when none is.
 */
export function syncUpsertStatement(
  table: TargetTable,
  ctx: SyncContext,
  setColumns?: readonly boolean[],
): string {
  const { columns } = table;
  const { books } = ctx;
  const name = literal(`${table.schema}.${table.name}`);
  const names = columns.map((c) => ident(c.name));
  const keys = table.keyColumns.map((c) => ident(c.name)).join(', ');
  const keyNames = new Set(table.keyColumns.map((c) => c.name));
  const rk = rowKey(table, (c) => `u.${alias(indexOf(columns, c))}::${c.type.pgType}`);
  const curKey = rowKey(table, (c) => `cur.${ident(c.name)}`);
  // Merge: an update apart from the changes here writes only its changed columns; one the rule
  // decided (a column changed on both sides) writes its whole row, as the other side keeps it whole
  // when it wins there — else each side would keep its own change of the columns only it changed.
  const apartNow = `coalesce((SELECT d.apart FROM dec d WHERE d.__rk = ${curKey} AND d.x = cur.xmin), false)`;
  const sets = columns
    .filter((c) => !keyNames.has(c.name))
    .map((c) => {
      const name = ident(c.name);
      if (setColumns === undefined || setColumns[columns.indexOf(c)]) return `${name} = EXCLUDED.${name}`;
      return `${name} = CASE WHEN ${apartNow} THEN cur.${name} ELSE EXCLUDED.${name} END`;
    });
  sets.push(`${ident(LSN_COLUMN)} = EXCLUDED.${ident(LSN_COLUMN)}`);
  sets.push(`${ident(TS_COLUMN)} = EXCLUDED.${ident(TS_COLUMN)}`);
  const excluded: SqlWriter = { ts: `EXCLUDED.${ident(TS_COLUMN)}`, site: PEER(ctx) };
  const kept = 'coalesce(d.present AND d.apart AND NOT d.same AND NOT d.wins, false)';
  // A resolution function's row (merged): written instead of the incoming values; its last writer
  // is the later of the two (both databases record the same one).
  const merged = `jsonb_typeof(d.res) = 'object'`;
  const value = (column: ColumnPlan, i: number): string =>
    ctx.policy.resolver === undefined || keyNames.has(column.name)
      ? cast(column, i)
      : `CASE WHEN ${merged} THEN (jsonb_populate_record(NULL::${table.qualified}, d.res)).${ident(column.name)} ` +
        `ELSE ${cast(column, i)} END`;
  const keepWriter =
    ctx.policy.resolver === undefined ? kept : `(${kept} OR coalesce(${merged} AND NOT d.wins, false))`;
  // A tombstone here the decision did not see (committed after the statement's snapshot) must not
  // be overwritten: the row is not recorded and the transaction retried. With a resolution function
  // the tombstone it was asked about is the one seen (its xid and time); others the writers' order.
  const overTombstone =
    ctx.policy.resolver === undefined
      ? ctx.policy.winsSql({ ts: 'EXCLUDED.ts_ms', site: 'EXCLUDED.site' }, tombstone(ctx, 's'))
      : `EXISTS (SELECT 1 FROM dec d WHERE d.__rk = s.row_key AND NOT d.present AND d.apply ` +
        `AND d.t_xid IS NOT DISTINCT FROM s.xid AND d.t_ts IS NOT DISTINCT FROM s.ts_ms)`;
  return (
    `WITH u AS (${syncSource(columns.length, table)}), k AS (SELECT u.*, ${rk} AS __rk FROM u), ` +
    `${decisionCtes(ctx, table, keyMatch(table, 't', columns, 'k'), setColumns, true)}, ` +
    `ins AS (INSERT INTO ${table.qualified} AS cur (${names.join(', ')}, ${ident(LSN_COLUMN)}, ${ident(TS_COLUMN)}) ` +
    `SELECT ${columns.map(value).join(', ')}, k.__lsn::bigint, k.__ts::bigint FROM k JOIN dec d ON d.__ord = k.__ord ` +
    `WHERE d.apply ON CONFLICT (${keys}) DO UPDATE SET ${sets.join(', ')} WHERE ` +
    // Decided in `dec` for the row locked there; a row inserted here since (no lock then) anew.
    `coalesce((SELECT d.apply FROM dec d WHERE d.__rk = ${curKey} AND d.x = cur.xmin), ` +
    `${winsOverRow(ctx, table, excluded)}) ` +
    `RETURNING ${curKey} AS __rk, cur.xmin AS __xmin, cur.${ident(TS_COLUMN)} AS __ts), ` +
    // A tombstone committed here after this statement's snapshot (a local delete racing the
    // insert) is seen by ON CONFLICT; its row must not come back: the transaction is retried.
    `rec AS (INSERT INTO ${books.syncRows} AS s (table_name, row_key, ts_ms, site, xid, deleted) ` +
    // Merged apart against a newer writer: the row's last writer stays that one.
    `SELECT ${name}, ins.__rk, CASE WHEN ${keepWriter} THEN d.w_ts ELSE ins.__ts END, ` +
    `CASE WHEN ${keepWriter} THEN d.w_site ELSE ${PEER(ctx)} END, ins.__xmin, false ` +
    `FROM ins LEFT JOIN dec d ON d.__rk = ins.__rk ` +
    `ON CONFLICT (table_name, row_key) DO UPDATE SET ts_ms = EXCLUDED.ts_ms, site = EXCLUDED.site, ` +
    `xid = EXCLUDED.xid, deleted = false ` +
    `WHERE NOT s.deleted OR ${overTombstone} ` +
    `RETURNING 1) ` +
    // Overruled changes, and (a resolution function's) merged ones: recorded as conflicts too.
    `SELECT d.__ord AS ord, d.w_ts AS ts_ms, d.w_site AS site, ` +
    `CASE WHEN ${merged} THEN d.res ELSE d.kept END AS kept, coalesce(${merged}, false) AS merged FROM ` +
    `(SELECT ${books.retryFunction}((SELECT count(*) FROM ins) - (SELECT count(*) FROM rec)) AS ok) chk ` +
    `LEFT JOIN dec d ON NOT EXISTS (SELECT 1 FROM ins WHERE ins.__rk = d.__rk) OR ${merged}`
  );
}

/**
 * Delete with the sync decision. Parameters (text[] each): one per key column, lsn, ts_ms, one
 * per column of the before image, whether it is full. A row whose last writer wins over the delete
 * survives (returned as overruled, as for the upsert); every other key gets a tombstone (the
 * delete's ts and site) unless a newer one is there.
 */
export function syncDeleteStatement(table: TargetTable, ctx: SyncContext): string {
  const keys = table.keyColumns;
  const { books } = ctx;
  const name = literal(`${table.schema}.${table.name}`);
  const rk = rowKey(table, (c) => `u.${alias(indexOf(keys, c))}::${c.type.pgType}`);
  const excluded: SqlWriter = { ts: 'EXCLUDED.ts_ms', site: 'EXCLUDED.site' };
  return (
    `WITH u AS (${syncSource(keys.length, table)}), k AS (SELECT u.*, ${rk} AS __rk FROM u), ` +
    `${decisionCtes(ctx, table, keyMatch(table, 't', keys, 'k'), undefined, false)}, ` +
    `del AS (DELETE FROM ${table.qualified} cur USING k, dec d WHERE d.__ord = k.__ord AND d.present AND d.apply ` +
    `AND ${keyMatch(table, 'cur', keys, 'k')} RETURNING k.__rk), ` +
    `mark AS (INSERT INTO ${books.syncRows} AS s (table_name, row_key, ts_ms, site, xid, deleted) ` +
    `SELECT ${name}, k.__rk, k.__ts::bigint, ${PEER(ctx)}, NULL, true FROM k JOIN dec d ON d.__ord = k.__ord ` +
    `WHERE d.apply OR NOT d.present ` +
    `ON CONFLICT (table_name, row_key) DO UPDATE SET ts_ms = EXCLUDED.ts_ms, site = EXCLUDED.site, ` +
    `xid = NULL, deleted = true WHERE NOT s.deleted OR ${ctx.policy.winsSql(excluded, tombstone(ctx, 's'))}) ` +
    `SELECT d.__ord AS ord, d.w_ts AS ts_ms, d.w_site AS site, d.kept, false AS merged FROM dec d ` +
    `WHERE d.present AND NOT d.apply`
  );
}

/** Overruled changes in two-way sync. Parameters (text[] each): see BatchWriter.writeSyncConflicts. */
export function syncConflictStatement(books: BookkeepingTables): string {
  return (
    `INSERT INTO ${books.conflicts} (table_name, row_key, op, incoming_lsn, incoming_ts_ms, current_ts_ms, ` +
    `rejected, topic, "partition", "offset", rule, incoming_site, current_site, winner, kept) ` +
    `SELECT tn, k::jsonb, op, il::bigint, it::bigint, ct::bigint, r::jsonb, t, p::int, o::bigint, ` +
    `ru, isite, csite, w, kp::jsonb ` +
    `FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], ` +
    `$9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[]) ` +
    `AS u(tn, k, op, il, it, ct, r, t, p, o, ru, isite, csite, w, kp)`
  );
}

/** The trigger that leaves a tombstone for every row deleted here by anyone but the sink. */
export function tombstoneTriggerStatement(
  table: Pick<TargetTable, 'qualified'> & { readonly keyColumns: readonly { readonly name: string }[] },
  books: BookkeepingTables,
): string {
  const args = table.keyColumns.map((c) => literal(c.name)).join(', ');
  return (
    `CREATE OR REPLACE TRIGGER sluice_sync_tombstone AFTER DELETE ON ${table.qualified} ` +
    `FOR EACH ROW EXECUTE FUNCTION ${books.tombstoneFunction}(${args})`
  );
}
