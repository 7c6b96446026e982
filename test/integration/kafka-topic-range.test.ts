// The topic-range reader against a real broker: ranges resolved by timestamps and offsets, read
// exactly (nothing before `from`, nothing at or after `to`, order kept, keys and headers intact),
// transactional partitions whose last offsets are markers or aborted records still finish, and
// the throw-away consumer group is gone afterwards.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Admin, type Kafka, type Producer } from 'kafkajs';
import {
  createKafkaClient,
  createProducer,
  InvalidRangeError,
  kafkaConfigSchema,
  type RangeRecord,
  readTopicRange,
  resolveRange,
  TopicProvisioner,
} from '@sluice/kafka';
import { stackAddresses, uniqueName } from '@sluice/test-support';

const PARTITIONS = 3;
const PER_PARTITION = 200;
// Recent: records older than the topic's retention (7 days by default) would be deleted at once.
const BASE_TS = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

async function readAll(
  kafka: Kafka,
  topic: string,
  ranges: Parameters<typeof readTopicRange>[1]['partitions'],
) {
  const got = new Map<number, RangeRecord[]>();
  const result = await readTopicRange(kafka, {
    topic,
    partitions: ranges,
    groupIdPrefix: `${topic}.reader`,
    onBatch: (partition, records) => {
      got.set(partition, [...(got.get(partition) ?? []), ...records]);
    },
  });
  return { got, result };
}

describe('topic range reader (@sluice/kafka)', () => {
  const topic = uniqueName('it.kafka.range');
  const txnTopic = uniqueName('it.kafka.range-txn');
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;

  before(async () => {
    kafka = createKafkaClient(
      kafkaConfigSchema.parse({
        brokers: stackAddresses().kafkaBrokers,
        clientId: 'sluice-it-range',
        logLevel: 'nothing',
      }),
    );
    admin = kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([
      { name: topic, partitions: PARTITIONS, replicationFactor: 1 },
      { name: txnTopic, partitions: 1, replicationFactor: 1 },
    ]);
    producer = createProducer(kafka);
    await producer.connect();
    // Record i of partition p is stamped BASE_TS + i seconds.
    for (let p = 0; p < PARTITIONS; p++) {
      await producer.send({
        topic,
        messages: Array.from({ length: PER_PARTITION }, (_, i) => ({
          partition: p,
          key: `k${p}-${i % 7}`,
          value: `${p}:${i}`,
          timestamp: String(BASE_TS + i * 1000),
          headers: { seq: String(i), dup: ['a', 'b'] },
        })),
      });
    }
  });

  after(async () => {
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [topic, txnTopic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('reads a time window exactly, in order, with keys and headers', { timeout: 60_000 }, async () => {
    const ranges = await resolveRange(admin, topic, {
      from: { timestamp: BASE_TS + 50_000 },
      to: { timestamp: BASE_TS + 120_000 },
    });
    assert.deepEqual(
      ranges,
      [0, 1, 2].map((partition) => ({ partition, from: 50n, to: 120n })),
    );
    const { got, result } = await readAll(kafka, topic, ranges);
    assert.equal(result.complete, true);
    for (let p = 0; p < PARTITIONS; p++) {
      const records = got.get(p)!;
      assert.deepEqual(
        records.map((r) => r.offset),
        Array.from({ length: 70 }, (_, i) => BigInt(50 + i)),
      );
      const first = records[0];
      assert.equal(first.value!.toString(), `${p}:50`);
      assert.equal(first.key!.toString(), `k${p}-${50 % 7}`);
      assert.equal(first.timestamp, BASE_TS + 50_000);
      assert.equal(first.topic, topic);
      assert.equal(first.partition, p);
      assert.equal((first.headers.seq as Buffer).toString(), '50');
      assert.deepEqual(
        (first.headers.dup as Buffer[]).map((b) => b.toString()),
        ['a', 'b'],
      );
      assert.equal(result.positions.get(p), 120n);
    }
    const groups = await admin.listGroups();
    assert.equal(
      groups.groups.some((g) => g.groupId.startsWith(`${topic}.reader`)),
      false,
      'the throw-away group is deleted',
    );
  });

  it('reads per-partition offset ranges, and ends a range at the log end', { timeout: 60_000 }, async () => {
    const ranges = await resolveRange(admin, topic, {
      from: { offsets: new Map([[1, 190n]]) },
      to: { offsets: new Map([[2, 3n]]) },
    });
    assert.deepEqual(ranges, [
      { partition: 1, from: 190n, to: 200n },
      { partition: 2, from: 0n, to: 3n },
    ]);
    const { got } = await readAll(kafka, topic, ranges);
    assert.deepEqual([...got.keys()].sort(), [1, 2]);
    assert.deepEqual(
      got.get(1)!.map((r) => Number(r.offset)),
      Array.from({ length: 10 }, (_, i) => 190 + i),
    );
    assert.deepEqual(
      got.get(2)!.map((r) => Number(r.offset)),
      [0, 1, 2],
    );
  });

  it(
    'finishes a transactional partition whose last offsets are an aborted transaction',
    { timeout: 60_000 },
    async () => {
      const txProducer = createProducer(kafka, { transactionalId: uniqueName('it.kafka.range-tx') });
      await txProducer.connect();
      try {
        const committed = await txProducer.transaction();
        await committed.send({
          topic: txnTopic,
          messages: [0, 1, 2, 3, 4].map((i) => ({ key: 'k', value: `c${i}` })),
        });
        await committed.commit();
        const aborted = await txProducer.transaction();
        await aborted.send({
          topic: txnTopic,
          messages: [0, 1, 2].map((i) => ({ key: 'k', value: `a${i}` })),
        });
        await aborted.abort();
      } finally {
        await txProducer.disconnect();
      }
      // EndTxn answers before the coordinator has written the abort marker to the partition; until
      // then the end offset a read_committed reader sees stops at the open transaction's start.
      const deadline = Date.now() + 30_000;
      while ((await admin.fetchTopicOffsets(txnTopic))[0]!.high !== '10' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const ranges = await resolveRange(admin, txnTopic, {});
      // 5 committed + marker + 3 aborted + marker.
      assert.deepEqual(ranges, [{ partition: 0, from: 0n, to: 10n }]);
      const { got, result } = await readAll(kafka, txnTopic, ranges);
      assert.equal(result.complete, true);
      assert.deepEqual(
        got.get(0)!.map((r) => r.value!.toString()),
        ['c0', 'c1', 'c2', 'c3', 'c4'],
      );
      assert.equal(result.positions.get(0), 10n);
    },
  );

  it('stops between batches when its signal fires', { timeout: 60_000 }, async () => {
    // 20 record batches of 10 in the log; a small fetch size hands them out a few at a time.
    for (let b = 0; b < 20; b++) {
      await producer.send({
        topic: txnTopic,
        messages: Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: `${b}.${i}` })),
      });
    }
    const [range] = await resolveRange(admin, txnTopic, {});
    const controller = new AbortController();
    let batches = 0;
    const result = await readTopicRange(kafka, {
      topic: txnTopic,
      partitions: [{ partition: 0, from: range.to - 200n, to: range.to }],
      maxBytesPerPartition: 1024,
      signal: controller.signal,
      onBatch: () => {
        batches++;
        controller.abort();
      },
    });
    assert.equal(batches, 1);
    assert.equal(result.complete, false);
    const position = result.positions.get(0)!;
    assert.ok(position > range.to - 200n && position < range.to, `stopped at ${position}`);
  });

  it('rejects with the error of a failing onBatch', { timeout: 60_000 }, async () => {
    await assert.rejects(
      readTopicRange(kafka, {
        topic,
        partitions: [{ partition: 0, from: 0n, to: 10n }],
        onBatch: () => {
          throw new Error('target refused');
        },
      }),
      /target refused/,
    );
  });

  it('refuses an unknown topic or partition with a clear error', async () => {
    await assert.rejects(
      resolveRange(admin, `${topic}.missing`, {}),
      (e: unknown) =>
        e instanceof InvalidRangeError && e.field === 'topic' && /does not exist/.test(e.message),
    );
    await assert.rejects(
      resolveRange(admin, topic, { partitions: [5] }),
      (e: unknown) => e instanceof InvalidRangeError && /has no partition 5/.test(e.message),
    );
  });
});
