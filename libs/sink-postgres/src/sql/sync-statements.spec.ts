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
    const sql = syncUpsertStatement(table, context(true), [false, false]);
    assert.match(
      sql,
      /"total" = CASE WHEN coalesce\(\(SELECT d\.apart FROM dec d WHERE d\.__rk = jsonb_build_array\(to_jsonb\(cur\."id"\)\) AND d\.x = cur\.xmin\), false\) THEN cur\."total" ELSE EXCLUDED\."total" END/,
    );
    // Column-level merge: applied when no column it changed was changed here.
    assert.match(sql, /NOT \(k\.c1 IS DISTINCT FROM k\.b1 AND t\."total" IS DISTINCT FROM k\.b1::numeric\)/);
    assert.match(syncUpsertStatement(table, context(true)), /, false AS apart/);
    assert.match(syncUpsertStatement(table, context(true)), /"total" = EXCLUDED\."total"/);
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
