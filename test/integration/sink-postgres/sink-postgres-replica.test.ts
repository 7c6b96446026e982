// Postgres → source-postgres → Kafka → sink-postgres → Postgres, with both apps as child processes:
// the replica equals the source column for column after 100,000 mixed operations on a table of
// broad types; a column added at the source appears in the replica with its values; replaying old
// events (the sink's offsets reset) never regresses a row and records the overruled writes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ITEMS_DDL, ITEMS_VALUES, SinkTestBed, type SpawnedApp } from './sink-postgres-harness';

describe('sink-postgres replica of a source table', { timeout: 600_000 }, () => {
  let bed: SinkTestBed;
  let sink: SpawnedApp;

  before(async () => {
    bed = await SinkTestBed.open('it_sinkpg_replica');
    await bed.source.pg.query(ITEMS_DDL(bed.name));
    // Rows before the source starts arrive as a snapshot (op r).
    await bed.source.sql(
      `INSERT INTO ${bed.source.table('items')} SELECT ${ITEMS_VALUES('n', bed.name)} FROM generate_series(1, 2000) n`,
    );
    await bed.spawnSource();
    await bed.waitForTopics([bed.source.topic('items')]);
    sink = await bed.spawnSink();
  });

  after(async () => {
    await bed?.cleanup();
  });

  it('is column-for-column equal to the source after 100,000 mixed inserts, updates and deletes', async () => {
    const items = bed.source.table('items');
    let operations = 0;
    let next = 2000;
    for (let round = 0; operations < 100_000; round++) {
      const client = await bed.source.client();
      try {
        await client.query('BEGIN');
        const inserted = await client.query(
          `INSERT INTO ${items} SELECT ${ITEMS_VALUES('n', bed.name)} FROM generate_series($1::bigint, $2::bigint) n`,
          [next + 1, next + 1000],
        );
        next += 1000;
        const updated = await client.query(
          `UPDATE ${items} SET num = num + 1, name = name || 'u', doc = doc || '{"u": 1}', ts = ts + interval '1.5 seconds',
             tags = tags || 'x'::text, price = NULL, flag = NOT flag
           WHERE id IN (SELECT id FROM ${items} WHERE id % 3 = $1 ORDER BY id DESC LIMIT 700)`,
          [round % 3],
        );
        const deleted = await client.query(
          `DELETE FROM ${items} WHERE id IN (SELECT id FROM ${items} WHERE id % 5 = $1 ORDER BY id LIMIT 300)`,
          [round % 5],
        );
        await client.query('COMMIT');
        operations += inserted.rowCount! + updated.rowCount! + deleted.rowCount!;
      } finally {
        await client.end();
      }
    }
    assert.ok(operations >= 100_000);
    const rows = await bed.untilReplicaEqual(300_000);
    assert.ok(rows > 10_000, `${rows} rows compared`);
    const status = await bed.status(sink);
    assert.equal(status.phase, 'running');
    assert.equal(status.recordsDeadLettered, 0);
    assert.ok(status.rowsDeleted > 0 && status.rowsUpserted > 0);
  });

  it('adds a column the source added, with its values, logged as a migration', async () => {
    const items = bed.source.table('items');
    await bed.source.sql(`ALTER TABLE ${items} ADD COLUMN note text`);
    await bed.source.sql(`UPDATE ${items} SET note = 'note ' || id WHERE id % 10 = 0`);
    await bed.source.sql(
      `INSERT INTO ${items} SELECT ${ITEMS_VALUES('n', bed.name)}, 'new ' || n FROM generate_series(900001, 900100) n`,
    );
    const query = (table: string) => `SELECT id, note FROM ${table} WHERE note IS NOT NULL ORDER BY id`;
    const expected = await bed.source.sql(query(items));
    assert.ok(expected.length > 100);
    await bed.source
      .waitFor(
        async () =>
          JSON.stringify(await bed.sinkSql(query(`${bed.name}.items`))) === JSON.stringify(expected) ||
          undefined,
        120_000,
        'note values in the replica',
      )
      .catch(async (error: Error) => {
        throw new Error(`${error.message}; sink output ${sink.output().slice(-2000)}`);
      });
    const migrations = await bed.sinkSql<{ statement: string }>(
      `SELECT statement FROM ${bed.name}.sluice_schema_migrations WHERE table_name = $1 ORDER BY id`,
      [`${bed.name}.items`],
    );
    assert.ok(
      migrations.some((m) => /^CREATE TABLE/.test(m.statement)),
      JSON.stringify(migrations),
    );
    assert.ok(
      migrations.some((m) => /ADD COLUMN IF NOT EXISTS "note" text/.test(m.statement)),
      JSON.stringify(migrations),
    );
    await bed.untilReplicaEqual();
  });

  it('never regresses a row when old events are replayed, and records each overruled write', async () => {
    await bed.kill(sink.child, 'SIGTERM');
    await sink.exited;
    const before = await bed.rows();
    await bed.sinkSql(`UPDATE ${bed.name}.sluice_sink_offsets SET next_offset = 0`);
    sink = await bed.spawnSink();
    const status = await bed.waitForStatus(
      sink,
      (s) => s.partitions.length === 3 && s.partitions.every((p) => p.lag === '0') && s.conflicts > 0,
      180_000,
    );
    const afterReplay = await bed.rows();
    assert.deepEqual(afterReplay.replica, before.replica);
    assert.deepEqual(afterReplay.replica, afterReplay.source);
    const [conflicts] = await bed.sinkSql<{ n: string; newer: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE (coalesce(current_lsn, -1), coalesce(current_ts_ms, -1)) >
         (coalesce(incoming_lsn, -1), coalesce(incoming_ts_ms, -1))) AS newer FROM ${bed.name}.sluice_conflicts`,
    );
    assert.ok(Number(conflicts.n) > 1000, `conflicts ${conflicts.n}`);
    assert.equal(conflicts.newer, conflicts.n, 'every overruled write met a newer position');
    assert.ok(status.conflicts > 0);
  });
});
