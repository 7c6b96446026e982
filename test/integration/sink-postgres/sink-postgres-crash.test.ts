// kill -9 of the sink five times while the source keeps changing the table: the replica ends equal
// to the source, and the history table (one row per consumed record, written in the batch's
// transaction) holds every offset of the topic exactly once — no lost and no duplicated effect.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCommitted } from '@sluice/test-support';
import { ITEMS_DDL, ITEMS_VALUES, SinkTestBed, type SpawnedApp } from './sink-postgres-harness';

describe('sink-postgres across kill -9', { timeout: 600_000 }, () => {
  let bed: SinkTestBed;

  before(async () => {
    bed = await SinkTestBed.open('it_sinkpg_crash');
    await bed.source.pg.query(ITEMS_DDL(bed.name));
    await bed.source.sql(
      `INSERT INTO ${bed.source.table('items')} SELECT ${ITEMS_VALUES('n', bed.name)} FROM generate_series(1, 500) n`,
    );
    await bed.spawnSource();
    await bed.waitForTopics([bed.source.topic('items')]);
  });

  after(async () => {
    await bed?.cleanup();
  });

  it('loses and repeats no change when the sink is killed mid-stream five times', async () => {
    const items = bed.source.table('items');
    const config = bed.sinkConfig({
      history: true,
      runtime: {
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 500,
        revokeTimeoutMs: 1000,
        shutdownTimeoutMs: 5000,
      },
    });
    // The source keeps changing the table until the fifth kill: every kill lands mid-stream.
    let writing = true;
    let rounds = 0;
    const writer = (async () => {
      let next = 500;
      for (let round = 0; writing; round++) {
        await bed.source.sql(
          `INSERT INTO ${items} SELECT ${ITEMS_VALUES('n', bed.name)} FROM generate_series($1::bigint, $2::bigint) n`,
          [next + 1, next + 300],
        );
        next += 300;
        await bed.source.sql(
          `UPDATE ${items} SET num = num + 1, name = name || 'u' WHERE id IN (SELECT id FROM ${items} WHERE id % 4 = $1 ORDER BY id DESC LIMIT 200)`,
          [round % 4],
        );
        await bed.source.sql(
          `DELETE FROM ${items} WHERE id IN (SELECT id FROM ${items} WHERE id % 6 = $1 ORDER BY id LIMIT 60)`,
          [round % 6],
        );
        rounds++;
        await sleep(300);
      }
    })();

    let sink: SpawnedApp = await bed.spawnSink(config);
    for (let kill = 0; kill < 5; kill++) {
      // Kill once this process committed a batch, a little later each time: batches are in flight.
      await bed.waitForStatus(sink, (s) => s.batchesCommitted > 0, 120_000);
      await sleep(100 + kill * 200);
      await bed.kill(sink.child);
      sink = await bed.spawnSink(config);
    }
    writing = false;
    await writer;
    assert.ok(rounds > 5, `${rounds} rounds of changes`);
    await bed.untilReplicaEqual(180_000);

    // The topic's records, read committed: the source writes exactly once, so commit markers take
    // offsets of their own and the end offsets overcount.
    const committed = await readCommitted(bed.source.kafka, bed.source.topic('items'));
    const records = [...committed.values()].reduce((n, p) => n + p.length, 0);
    const count = async () =>
      (
        await bed.sinkSql<{ rows: string; distinct: string }>(
          `SELECT count(*) AS rows, count(DISTINCT ("partition", "offset")) AS distinct FROM ${bed.name}.items_history`,
        )
      )[0];
    await bed.source.waitFor(
      async () => Number((await count()).distinct) >= records || undefined,
      120_000,
      'history',
    );
    await sleep(1000);
    const history = await count();
    assert.equal(Number(history.distinct), records, 'every consumed record has its history row');
    assert.equal(Number(history.rows), records, 'no record was applied twice');
    // The status stands at the end of every partition, also those with nothing new since the restart.
    await bed.waitForStatus(
      sink,
      (s) => s.partitions.length === 3 && s.partitions.every((p) => p.lag === '0'),
      60_000,
    );
  });
});
