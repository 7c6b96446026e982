// sink-postgres keeps its position in the target database and mirrors it to its Kafka consumer
// group, so Kafka's tools see its lag: once the replica equals the source, the group's committed
// offsets (Kafka admin API) equal the end offsets and the target's sluice_sink_offsets, and
// `sluice topics list` shows lag 0 for the group. The mirror is informational only: a target behind
// the group's Kafka offsets (its offsets set back, or gone) is still where a restarted sink starts,
// with nothing new in the topic to fetch.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Admin } from 'kafkajs';
import { runSluice, stackAddresses } from '@sluice/test-support';
import { ITEMS_DDL, ITEMS_VALUES, SinkTestBed, type SpawnedApp } from './sink-postgres-harness';

interface ListedTopic {
  name: string;
  lag: Array<{ group: string; lag: string | null }>;
}

describe('sink-postgres mirrors its offsets to the Kafka group', { timeout: 300_000 }, () => {
  let bed: SinkTestBed;
  let sink: SpawnedApp;
  let admin: Admin;
  let group: string;
  let topic: string;
  let next = 300;

  const insert = async (count: number) => {
    await bed.source.sql(
      `INSERT INTO ${bed.source.table('items')} SELECT ${ITEMS_VALUES('n', bed.name)} FROM generate_series($1::bigint, $2::bigint) n`,
      [next + 1, next + count],
    );
    next += count;
  };
  /** Per partition: the end offset, the group's committed offset in Kafka, the target's next offset. */
  const positions = async () => {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const target = await bed.sinkSql<{ partition: number; next_offset: string }>(
      `SELECT "partition", next_offset::text FROM ${bed.name}.sluice_sink_offsets WHERE group_id = $1 AND topic = $2`,
      [group, topic],
    );
    return ends
      .map((p) => ({
        partition: p.partition,
        end: p.high,
        kafka: committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? '-1',
        target: target.find((t) => t.partition === p.partition)?.next_offset ?? null,
      }))
      .sort((a, b) => a.partition - b.partition);
  };
  /** Waits until the group's Kafka offsets reached the end of every partition (lag 0). */
  const untilNoLag = async () => {
    let last: Awaited<ReturnType<typeof positions>> = [];
    return bed.source
      .waitFor(
        async () => {
          last = await positions();
          return last.every((p) => p.kafka === p.end) ? last : undefined;
        },
        30_000,
        'the group committed to Kafka at the end offsets',
      )
      .catch((error: Error) => {
        throw new Error(
          `${error.message}; ${JSON.stringify(last)}; sink output ${sink.output().slice(-2000)}`,
        );
      });
  };
  const restartSink = async () => {
    await bed.kill(sink.child, 'SIGTERM');
    await sink.exited;
    sink = await bed.spawnSink();
  };

  before(async () => {
    bed = await SinkTestBed.open('it_sinkpg_lag');
    await bed.source.pg.query(ITEMS_DDL(bed.name));
    await bed.source.sql(
      `INSERT INTO ${bed.source.table('items')} SELECT ${ITEMS_VALUES('n', bed.name)} FROM generate_series(1, 300) n`,
    );
    topic = bed.source.topic('items');
    await bed.spawnSource();
    await bed.waitForTopics([topic]);
    group = bed.sinkConfig().group!;
    admin = bed.source.kafka.admin();
    await admin.connect();
    sink = await bed.spawnSink();
    await bed.untilReplicaEqual();
  });

  after(async () => {
    await admin?.disconnect();
    await bed?.cleanup();
  });

  it('commits to the group what the target committed: lag 0 once the replica equals the source', async () => {
    await insert(400);
    await bed.source.sql(`UPDATE ${bed.source.table('items')} SET num = num + 1 WHERE id % 3 = 0`);
    await bed.untilReplicaEqual();
    const settled = await untilNoLag();
    assert.equal(settled.length, 3);
    for (const p of settled) {
      assert.equal(p.target, p.kafka, `partition ${p.partition}: Kafka's offset is the target's`);
    }
    assert.ok(
      settled.reduce((n, p) => n + Number(p.end), 0) > 700,
      `every event counted: ${JSON.stringify(settled)}`,
    );
  });

  it('`sluice topics list` shows the group’s lag instead of “no committed offsets”', () => {
    const file = bed.source.configFile(bed.sinkConfig());
    const brokers = stackAddresses().kafkaBrokers.join(',');
    const run = runSluice(['topics', 'list', file, '--brokers', brokers, '-o', 'json']);
    assert.equal(run.code, 0, run.stderr);
    const listed = (JSON.parse(run.stdout) as { topics: ListedTopic[] }).topics;
    const input = listed.find((t) => t.name === topic);
    assert.deepEqual(
      input?.lag.map((g) => ({ group: g.group, lag: g.lag })),
      [{ group, lag: '0' }],
    );
  });

  it('starts from the target’s offsets, not the group’s, when the target is behind (nothing new to fetch)', async () => {
    await bed.kill(sink.child, 'SIGTERM');
    await sink.exited;
    // The target restored to an old state: rows gone, offsets back at 0; Kafka says "at the end".
    await bed.sinkSql(`TRUNCATE ${bed.name}.items`);
    await bed.sinkSql(`UPDATE ${bed.name}.sluice_sink_offsets SET next_offset = 0 WHERE group_id = $1`, [
      group,
    ]);
    const kafkaBefore = await positions();
    assert.ok(kafkaBefore.every((p) => p.kafka === p.end && p.target === '0'));
    sink = await bed.spawnSink();
    await bed.untilReplicaEqual();
    for (const p of await untilNoLag()) assert.equal(p.target, p.end);
  });

  it('starts at the earliest offset when the target holds no offsets at all, whatever the group’s Kafka offsets', async () => {
    await bed.kill(sink.child, 'SIGTERM');
    await sink.exited;
    await bed.sinkSql(`TRUNCATE ${bed.name}.items`);
    await bed.sinkSql(`DELETE FROM ${bed.name}.sluice_sink_offsets WHERE group_id = $1`, [group]);
    sink = await bed.spawnSink();
    await bed.untilReplicaEqual();
    for (const p of await untilNoLag()) assert.equal(p.target, p.end);
    // And a plain restart with nothing new: the group stays at the end, nothing is written again.
    await restartSink();
    const status = await bed.waitForStatus(
      sink,
      (s) => s.partitions.length === 3 && s.partitions.every((p) => p.lag === '0'),
    );
    assert.equal(status.rowsUpserted + status.rowsDeleted + status.conflicts, 0, 'nothing processed again');
    for (const p of await untilNoLag()) assert.equal(p.target, p.end);
  });
});
