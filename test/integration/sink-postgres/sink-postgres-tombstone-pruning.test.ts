// Two-way sync's tombstone retention (sink-postgres `sync.tombstoneRetentionMs`) against the real
// bookkeeping table: a pass removes the tombstones whose deletion is older than the retention —
// the peer's deletes by their source commit time, local deletes by their xid's commit time (kept
// when commit times are not tracked: their age is unknown) — and never a live row's last writer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { type BookkeepingTables, ensureBookkeeping, TombstonePruner } from '@sluice/sink-postgres';
import { stackAddresses, uniqueName } from '@sluice/test-support';

const HOUR = 3_600_000;

describe('sink-postgres two-way sync: tombstones pruned after their retention', () => {
  const schema = uniqueName('it_prune').replace(/[^a-z0-9_]/g, '_');
  let pool: Pool;
  let books: BookkeepingTables;
  let tracking = false;

  const keys = async (): Promise<string[]> =>
    (
      await pool.query<{ k: string }>(
        `SELECT row_key->>0 || CASE WHEN deleted THEN ' deleted' ELSE ' live' END AS k FROM ${books.syncRows} ORDER BY 1`,
      )
    ).rows.map((r) => r.k);

  before(async () => {
    pool = new Pool({ ...stackAddresses().postgres, database: 'sink', max: 2 });
    tracking = (await pool.query("SELECT current_setting('track_commit_timestamp') = 'on' AS on")).rows[0].on;
    books = await ensureBookkeeping(pool, schema, { sync: true });
    const now = Date.now();
    const row = `INSERT INTO ${books.syncRows} (table_name, row_key, ts_ms, site, xid, deleted) VALUES ('app.t', $1, $2, $3, $4, $5)`;
    await pool.query(row, ['[1]', now - 2 * HOUR, 'a', null, true]); // the peer's delete, old
    await pool.query(row, ['[2]', now - 60_000, 'a', null, true]); // the peer's delete, recent
    await pool.query(row, ['[3]', now - 2 * HOUR, 'a', null, false]); // a live row's writer, old
    // A local delete as the tombstone trigger leaves it: no time, the deleting xid (committed now).
    await pool.query(
      `INSERT INTO ${books.syncRows} (table_name, row_key, ts_ms, site, xid, deleted) ` +
        `VALUES ('app.t', '[4]', NULL, NULL, pg_current_xact_id()::xid, true)`,
    );
  });

  after(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
  });

  it('removes the tombstones older than the retention, by their deletion time; live rows stay', async () => {
    const pruner = (commitTimestamps: boolean, now: number) =>
      new TombstonePruner(pool, books, { retentionMs: HOUR, commitTimestamps, now: () => now }, (error) => {
        throw error;
      });
    assert.equal(await pruner(tracking, Date.now()).prune(), 1);
    assert.deepEqual(await keys(), ['2 deleted', '3 live', '4 deleted']);
    // Two hours on: the recent peer delete is old too; a local one's age is unknown without commit times.
    assert.equal(await pruner(false, Date.now() + 2 * HOUR).prune(), 1);
    assert.deepEqual(await keys(), ['3 live', '4 deleted']);
    if (!tracking) return;
    assert.equal(await pruner(true, Date.now() + 2 * HOUR).prune(), 1);
    assert.deepEqual(await keys(), ['3 live']);
  });

  it('counts what it removed and stops cleanly after a pass started at once', async () => {
    const pruner = new TombstonePruner(
      pool,
      books,
      { retentionMs: HOUR, commitTimestamps: tracking, now: () => Date.now() + 3 * HOUR },
      (error) => {
        throw error;
      },
    );
    await pool.query(
      `INSERT INTO ${books.syncRows} (table_name, row_key, ts_ms, site, xid, deleted) VALUES ('app.t', '[5]', $1, 'a', NULL, true)`,
      [Date.now()],
    );
    pruner.start();
    await pruner.stop();
    assert.equal(pruner.removed, 1);
    assert.deepEqual(await keys(), ['3 live']);
  });
});
