// `sluice replay --group` against the real stack, through the real CLI: a reset refused while the
// group has a running member (one line, exit 1) and a dry run that prints the plan and changes
// nothing; a reset commits the range start with the reset's metadata; and a sink-postgres group
// reset to yesterday's offsets rebuilds a broken replica equal (the sink takes the reset from the
// group's committed offsets once, and records it in its offsets table).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Consumer } from 'kafkajs';
import { createProducer } from '@sluice/kafka';
import { RecordEncoder } from '@sluice/schema';
import { runSluice, uniqueName } from '@sluice/test-support';
import { SinkTestBed } from '../sink-postgres/sink-postgres-harness';
import { envelopeSchema, keySchema, type OrderRow, registry } from '../transformer/transformer-harness';
import { errorLines, ReplayBed, until } from './replay-harness';

const DAY = 86_400_000;

describe('sluice replay --group', { timeout: 300_000 }, () => {
  let bed: ReplayBed;
  const consumers: Consumer[] = [];

  before(async () => {
    bed = await ReplayBed.open();
  });

  after(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await bed?.close();
  });

  it('refuses while the group has a running member; --dry-run prints the plan and changes nothing', async () => {
    const topic = await bed.createTopic(uniqueName('it.replay.reset'), 2);
    const group = uniqueName('it.replay.reset-group');
    const producer = createProducer(bed.kafka);
    await producer.connect();
    for (const partition of [0, 1]) {
      await producer.send({
        topic,
        messages: Array.from({ length: 20 }, (_, i) => ({ partition, value: `${i}` })),
      });
    }
    await producer.disconnect();

    // A member that consumes everything and commits, and stays running.
    const consumer = bed.kafka.consumer({ groupId: group });
    consumers.push(consumer);
    let seen = 0;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => void seen++ });
    const committed = async () => {
      const [t] = await bed.admin.fetchOffsets({ groupId: group, topics: [topic] });
      return t.partitions.map((p) => [p.partition, p.offset, p.metadata ?? null]).sort();
    };
    await until('the member to commit its offsets', async () => {
      const c = await committed();
      return seen === 40 && c.every(([, o]) => o === '20') ? c : undefined;
    });

    const refused = runSluice(['replay', '--group', group, '--topic', topic, '--from-offset', '5']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.deepEqual(errorLines(refused.stderr), [
      `sluice: consumer group ${group} has 1 active member(s) (state Stable): stop them before resetting its offsets`,
    ]);

    const unchanged = await committed();
    const dry = runSluice(['replay', '--group', group, '--topic', topic, '--from-offset', '5', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    const lines = dry.stdout.trim().split('\n');
    assert.match(
      lines[0],
      new RegExp(
        `^dry run: group ${group} on ${topic} would restart at these offsets \\(30 record\\(s\\) to reprocess\\); nothing changed`,
      ),
    );
    assert.match(lines[0], /refused now: 1 active member\(s\), state Stable$/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/\s+/)),
      [
        ['PARTITION', 'COMMITTED', 'NEW', 'OFFSET', 'END', 'TO', 'REPROCESS'],
        ['0', '20', '5', '20', '15'],
        ['1', '20', '5', '20', '15'],
      ],
    );
    assert.deepEqual(await committed(), unchanged, 'a dry run changes nothing');

    // Once the member is gone the reset goes through, marked as a reset in the offset metadata.
    await consumer.disconnect();
    const resetId = uniqueName('reset');
    const reset = runSluice([
      'replay',
      '--group',
      group,
      '--topic',
      topic,
      '--from-offset',
      '5',
      '--replay-id',
      resetId,
      '-o',
      'json',
    ]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal((JSON.parse(reset.stdout) as { dryRun: boolean }).dryRun, false);
    assert.deepEqual(await committed(), [
      [0, '5', `sluice.reset:${resetId}`],
      [1, '5', `sluice.reset:${resetId}`],
    ]);
  });
});

interface Change {
  op: 'c' | 'u' | 'd';
  row: OrderRow;
  /** Record timestamp. */
  at: number;
}

describe('sluice replay --group on a sink-postgres group', { timeout: 300_000 }, () => {
  let bed: SinkTestBed;

  before(async () => {
    bed = await SinkTestBed.open('it_replay_sink');
  });

  after(async () => {
    await bed?.cleanup();
  });

  it("rebuilds a broken replica equal after a reset to yesterday's offsets", async () => {
    const topic = `${bed.name}.public.orders`;
    const admin = bed.source.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    // Yesterday: 40 rows created, every third updated; today: ten more updates and three deletes.
    const now = Date.now();
    const yesterday = now - DAY;
    const changes: Change[] = [];
    const row = (id: number, v: number): OrderRow => ({
      id,
      email: `u${id}.${v}@x`,
      region: 'eu',
      total: id + v,
    });
    for (let id = 1; id <= 40; id++) changes.push({ op: 'c', row: row(id, 0), at: yesterday + id });
    for (let id = 3; id <= 40; id += 3) changes.push({ op: 'u', row: row(id, 1), at: yesterday + 1000 + id });
    for (let id = 1; id <= 10; id++) changes.push({ op: 'u', row: row(id, 2), at: now - 60_000 + id });
    for (const id of [11, 12, 13]) changes.push({ op: 'd', row: row(id, 0), at: now - 30_000 + id });
    const expected = new Map<number, OrderRow>();
    for (const c of changes) {
      if (c.op === 'd') expected.delete(c.row.id);
      else expected.set(c.row.id, c.row);
    }

    const encoder = new RecordEncoder(registry);
    const producer = createProducer(bed.source.kafka);
    await producer.connect();
    for (const [lsn, c] of changes.entries()) {
      await producer.send({
        topic,
        messages: [
          {
            key: await encoder.encode(`${topic}-key`, keySchema(bed.name), { id: c.row.id }),
            value: await encoder.encode(`${topic}-value`, envelopeSchema(bed.name), {
              before: c.op === 'c' ? null : c.row,
              after: c.op === 'd' ? null : c.row,
              source: {
                version: '2.7.0',
                connector: 'postgresql',
                name: 'sluice',
                ts_ms: c.at,
                db: 'source',
                schema: 'public',
                table: 'orders',
                lsn: 1000 + lsn,
              },
              op: c.op,
              ts_ms: c.at,
            }),
            timestamp: String(c.at),
          },
        ],
      });
    }
    await producer.disconnect();

    const replica = () =>
      bed.sinkSql<OrderRow>(`SELECT id::int, email, region, total FROM ${bed.name}.orders ORDER BY id`);
    const wanted = [...expected.values()].sort((a, b) => a.id - b.id);
    const equal = async () => {
      const rows = await replica().catch(() => []);
      return JSON.stringify(rows) === JSON.stringify(wanted) ? rows : undefined;
    };
    const config = bed.sinkConfig({ topics: [topic] });
    const first = await bed.spawnSink(config);
    await until('the first replica', equal, 90_000).catch((e: Error) => {
      throw new Error(`${e.message}; sink output ${first.output().slice(-2000)}`);
    });
    await bed.kill(first.child, 'SIGTERM');

    // The replica breaks; the group goes back to yesterday.
    await bed.sinkSql(`TRUNCATE ${bed.name}.orders`);
    const resetId = uniqueName('sink-reset');
    const reset = runSluice([
      'replay',
      '--group',
      config.group!,
      '--topic',
      topic,
      '--from-time',
      new Date(yesterday - 3_600_000).toISOString(),
      '--replay-id',
      resetId,
    ]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(
      reset.stdout,
      new RegExp(`group ${config.group} on ${topic} reset \\(reset id ${resetId}\\)`),
    );

    const second = await bed.spawnSink(config);
    const rebuilt = await until('the rebuilt replica', equal, 90_000).catch((e: Error) => {
      throw new Error(`${e.message}; sink output ${second.output().slice(-2000)}`);
    });
    assert.deepEqual(rebuilt, wanted);
    const books = await bed.sinkSql<{ partition: number; applied_reset: string }>(
      `SELECT "partition", applied_reset FROM ${bed.name}.sluice_sink_offsets WHERE topic = $1 ORDER BY 1`,
      [topic],
    );
    assert.deepEqual(
      books.map((b) => b.applied_reset),
      [resetId, resetId],
    );
    await bed.kill(second.child, 'SIGTERM');

    // Started again, the sink keeps its own position: the reset is not taken twice.
    const rowsBefore = await bed.sinkSql<{ n: string }>(
      `SELECT count(*) AS n FROM ${bed.name}.sluice_conflicts`,
    );
    const third = await bed.spawnSink(config);
    await bed.waitForStatus(third, (s) => s.partitions.length === 2);
    await new Promise((r) => setTimeout(r, 2000));
    const status = await bed.status(third);
    assert.equal(status.rowsUpserted + status.rowsDeleted + status.conflicts, 0, 'nothing processed again');
    assert.deepEqual(await bed.sinkSql(`SELECT count(*) AS n FROM ${bed.name}.sluice_conflicts`), rowsBefore);
    await bed.kill(third.child, 'SIGTERM');
  });
});
