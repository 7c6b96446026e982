import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LastWriterWins, ResolutionFunction, SourcePriority } from '../conflict/conflict-policy';
import { type ColumnPlan, type TargetTable } from '../plan/row-change';
import { bookkeepingTables } from '../target/bookkeeping';
import {
  type SyncContext,
  syncDeleteStatement,
  syncUpsertStatement,
  tombstoneTriggerStatement,
} from './sync-statements';

const column = (name: string, pgType: string): ColumnPlan => ({
  name,
  type: { pgType, nullable: true, toText: () => null } as unknown as ColumnPlan['type'],
});
const id = column('id', 'integer');
const table: TargetTable = {
  schema: 'app',
  name: 'orders',
  qualified: '"app"."orders"',
  keyColumns: [id],
  columns: [id, column('total', 'numeric')],
  signature: 'v1',
  options: { history: false, merge: false },
};
const context = (commitTimestamps: boolean): SyncContext => ({
  books: bookkeepingTables('sluice'),
  policy: commitTimestamps ? new LastWriterWins() : new SourcePriority('a'),
  site: 'b',
  peerSite: 'a',
  commitTimestamps,
});

describe('two-way sync statements', () => {
  it('decide against the locked row and its last writer, in the statement that writes', () => {
    const sql = syncUpsertStatement(table, context(true));
    assert.match(sql, /FOR UPDATE OF t/);
    assert.match(sql, /"sluice"\."sluice_sync_rows"/);
    assert.match(sql, /pg_xact_commit_timestamp\(t\.xmin\)/);
    // 2 values, lsn, ts, 2 before-image columns, full-image flag.
    assert.match(sql, /\$7::text\[\]\) WITH ORDINALITY/);
    assert.doesNotMatch(sql, /\$8::text\[\]/);
    // The key as the tombstone trigger computes it: to_jsonb of each key column.
    assert.match(sql, /jsonb_build_array\(to_jsonb\(u\.c0::integer\)\)/);
    assert.match(sql, /"sluice"\."sluice_sync_retry"/);
  });

  it('leave commit times out where the server does not track them', () => {
    for (const sql of [
      syncUpsertStatement(table, context(false)),
      syncDeleteStatement(table, context(false)),
    ])
      assert.doesNotMatch(sql, /pg_xact_commit_timestamp/);
  });

  it('write the given columns only on an update apart from the changes here (merge), the whole row when the rule decided', () => {
    const wide: TargetTable = { ...table, columns: [id, column('total', 'numeric'), column('note', 'text')] };
    const sql = syncUpsertStatement(wide, context(true), [false, false, true]);
    assert.match(
      sql,
      /"total" = CASE WHEN coalesce\(\(SELECT d\.apart FROM dec d WHERE d\.__rk = jsonb_build_array\(to_jsonb\(cur\."id"\)\) AND d\.x = cur\.xmin\), false\) THEN cur\."total" ELSE EXCLUDED\."total" END/,
    );
    assert.match(sql, /"note" = EXCLUDED\."note"/);
    // Column-level merge: applied when no column it wrote was changed here. Written: the columns
    // of the mask (every change folded in), not its first before against its last after — a column
    // changed and changed back within the chain was written all the same.
    const apart = /AS same, (.*?) AS apart/.exec(sql)?.[1] ?? '';
    assert.ok(
      apart.startsWith(`((k.__hb = 't' AND t."note" IS NOT DISTINCT FROM k.b2::text) AND NOT (`),
      apart,
    );
    assert.doesNotMatch(apart.slice(0, apart.indexOf(' AND NOT (')), /"total"/);
    assert.doesNotMatch(sql, /k\.c\d IS DISTINCT FROM k\.b\d/);
    // An update that wrote no column is a write of its whole row: the rule decides.
    assert.match(syncUpsertStatement(wide, context(true), [false, false, false]), /, false AS apart/);
    assert.match(syncUpsertStatement(table, context(true)), /, false AS apart/);
    assert.match(syncUpsertStatement(table, context(true)), /"total" = EXCLUDED\."total"/);
  });

  it('take equal values for the version a change was made on only when the row was not written here since', () => {
    for (const sql of [
      syncUpsertStatement(table, context(true)),
      syncUpsertStatement(table, context(true), [false, true]),
      syncDeleteStatement(table, context(true)),
    ]) {
      // A row written here (site b) no earlier than the change: changed and changed back, deleted
      // and inserted anew, or set to the same values — the peer never saw that version. Not a row
      // a table rewrite gave the rewriting transaction's xmin (that of the table's pg_class row).
      const newer =
        "(CASE WHEN s.xid = t.xmin AND NOT s.deleted THEN s.site ELSE 'b' END = 'b' AND coalesce(CASE WHEN " +
        's.xid = t.xmin AND NOT s.deleted THEN s.ts_ms ELSE floor(extract(epoch FROM pg_xact_commit_timestamp(t.xmin)) ' +
        '* 1000)::bigint END, -1) >= k.__ts::bigint AND NOT t.xmin = ' +
        `(SELECT xmin FROM pg_class WHERE oid = '"app"."orders"'::regclass))`;
      assert.ok(sql.includes(`AND NOT ${newer}) AS same`), sql);
    }
    // Merge: an update apart by values from a row that equals its before image and was written here
    // since is no merge either.
    const merged = syncUpsertStatement(table, context(true), [false, true]);
    assert.match(
      merged,
      /AND NOT \(\(k\.__hb = 't' AND t\."total" IS NOT DISTINCT FROM k\.b1::numeric\) AND \(CASE/,
    );
  });

  it('delete with a tombstone and return the rows that survive', () => {
    const sql = syncDeleteStatement(table, context(true));
    assert.match(sql, /DELETE FROM "app"\."orders" cur/);
    assert.match(sql, /deleted = true/);
    assert.match(sql, /WHERE d\.present AND NOT d\.apply$/);
  });

  it('ask a resolution function through the wrapper where both sides have a version, and write its row', () => {
    const ctx: SyncContext = { ...context(true), policy: new ResolutionFunction('app.resolve_orders') };
    const upsert = syncUpsertStatement(table, ctx);
    // Called with the locked row and the incoming version, both writers; not on a continuation.
    assert.match(
      upsert,
      /CASE WHEN c\.same OR c\.apart THEN NULL ELSE "sluice"\."sluice_sync_resolve"\('app', 'resolve_orders', ARRAY\['id'\]::text\[\], c\.kept, jsonb_build_object\('id', k\.c0::integer, 'total', k\.c1::numeric\), c\.w_ts, k\.__ts::bigint, c\.w_site, 'a'\)/,
    );
    // Against a tombstone: the deleted side is NULL.
    assert.match(
      upsert,
      /WHEN s\.deleted THEN "sluice"\."sluice_sync_resolve"\('app', 'resolve_orders', ARRAY\['id'\]::text\[\], NULL::jsonb/,
    );
    assert.match(upsert, /coalesce\(r\.res <> '"local"'::jsonb, /);
    // A merged row's values are written instead of the incoming ones (the key stays the change's).
    assert.match(
      upsert,
      /CASE WHEN jsonb_typeof\(d\.res\) = 'object' THEN \(jsonb_populate_record\(NULL::"app"\."orders", d\.res\)\)\."total" ELSE k\.c1::numeric END/,
    );
    // A row inserted here after the snapshot was not shown to the function: retried.
    assert.match(upsert, /\("sluice"\."sluice_sync_retry"\(1\) = 0\)/);
    // A delete hands the function no incoming version.
    const del = syncDeleteStatement(table, ctx);
    assert.match(
      del,
      /"sluice"\."sluice_sync_resolve"\('app', 'resolve_orders', ARRAY\['id'\]::text\[\], c\.kept, NULL::jsonb/,
    );
    // Other rules never call it.
    assert.doesNotMatch(syncUpsertStatement(table, context(true)), /sluice_sync_resolve/);
  });

  it('install the tombstone trigger with the key column names', () => {
    assert.equal(
      tombstoneTriggerStatement(table, bookkeepingTables('sluice')),
      'CREATE OR REPLACE TRIGGER sluice_sync_tombstone AFTER DELETE ON "app"."orders" FOR EACH ROW ' +
        `EXECUTE FUNCTION "sluice"."sluice_sync_tombstone"('id')`,
    );
  });
});
