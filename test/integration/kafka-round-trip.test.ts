// Round trip through a real broker: provision a 6-partition topic, write 10,000 keyed records with
// Sluice's idempotent producer, read them back with a fresh group, and check the contracts other
// systems rely on: nothing lost, nothing duplicated, order per key, and each key on the partition
// the Java client would choose.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs';
import {
  createKafkaClient,
  createProducer,
  kafkaConfigSchema,
  partitionForKey,
  TopicProvisioner,
} from '@sluice/kafka';
import { stackAddresses, uniqueName } from '@sluice/test-support';

const PARTITIONS = 6;
const KEYS = 500;
const SEQUENCES = 20;
const TOTAL = KEYS * SEQUENCES;

/**
 * Computed with kafka-clients 4.1.2 `Utils.toPositive(Utils.murmur2(key)) % 6` for the UTF-8 keys;
 * the full table is in libs/kafka/src/partitioning/murmur2.spec.ts.
 */
const JAVA_PARTITIONS_OF_6: Record<string, number> = {
  'key-0': 1,
  'key-1': 0,
  'key-2': 2,
  'key-42': 3,
  'key-137': 0,
  'key-499': 2,
};

interface Received {
  /** The record key; the value repeats it, to catch a key/value mix-up. */
  key: string;
  valueKey: string;
  seq: number;
  partition: number;
  offset: bigint;
}

describe('kafka round trip (idempotent producer, murmur2 partitioning)', () => {
  const topic = uniqueName('it.kafka.round-trip');
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let consumer: Consumer | undefined;

  before(async () => {
    kafka = createKafkaClient(
      kafkaConfigSchema.parse({ brokers: stackAddresses().kafkaBrokers, clientId: 'sluice-it-round-trip' }),
    );
    admin = kafka.admin();
    await admin.connect();
    const report = await new TopicProvisioner(admin).provision([
      { name: topic, partitions: PARTITIONS, replicationFactor: 1 },
    ]);
    assert.deepEqual(report.created, [topic]);
    producer = createProducer(kafka);
    await producer.connect();
  });

  after(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it(
    'delivers 10,000 keyed records exactly once, in order per key, on the Java partition',
    { timeout: 120_000 },
    async () => {
      // Every key's sequence numbers go out in order: seq 0 of all keys, then seq 1, ... Each send
      // awaits the previous one, as a source does before acknowledging upstream.
      for (let seq = 0; seq < SEQUENCES; seq++) {
        const messages = Array.from({ length: KEYS }, (_, k) => ({
          key: `key-${k}`,
          value: JSON.stringify({ key: `key-${k}`, seq }),
        }));
        await producer.send({ topic, messages });
      }

      // The log itself holds exactly TOTAL records: the idempotent producer wrote no duplicates.
      const offsets = await admin.fetchTopicOffsets(topic);
      assert.equal(offsets.length, PARTITIONS);
      assert.equal(
        offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0),
        TOTAL,
      );

      const received: Received[] = [];
      consumer = kafka.consumer({ groupId: uniqueName('it.kafka.round-trip.group') });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer!
          .run({
            eachMessage: async ({ partition, message }) => {
              // Only collect here: an assertion thrown in eachMessage would just make kafkajs retry.
              const value = JSON.parse(message.value!.toString('utf8')) as { key: string; seq: number };
              const key = message.key!.toString('utf8');
              received.push({
                key,
                valueKey: value.key,
                seq: value.seq,
                partition,
                offset: BigInt(message.offset),
              });
              if (received.length === TOTAL) resolve();
            },
          })
          .catch(reject);
      });

      // Nothing lost, nothing duplicated.
      assert.equal(received.length, TOTAL);
      const distinct = new Set(received.map((r) => `${r.key}#${r.seq}`));
      assert.equal(distinct.size, TOTAL);
      assert.ok(received.every((r) => r.key === r.valueKey));

      // Offsets strictly increase within each partition.
      const lastOffset = new Map<number, bigint>();
      for (const r of received) {
        const previous = lastOffset.get(r.partition);
        assert.ok(
          previous === undefined || r.offset > previous,
          `partition ${r.partition}: ${r.offset} after ${previous}`,
        );
        lastOffset.set(r.partition, r.offset);
      }

      // Each key stays on one partition, the one murmur2 (Java's choice) names, in sequence order.
      const byKey = new Map<string, Received[]>();
      for (const r of received) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
      assert.equal(byKey.size, KEYS);
      for (const [key, records] of byKey) {
        assert.deepEqual(
          records.map((r) => r.seq),
          Array.from({ length: SEQUENCES }, (_, i) => i),
          `order of ${key}`,
        );
        const expected = partitionForKey(Buffer.from(key, 'utf8'), PARTITIONS);
        assert.ok(
          records.every((r) => r.partition === expected),
          `${key} expected on partition ${expected}`,
        );
      }
      for (const [key, javaPartition] of Object.entries(JAVA_PARTITIONS_OF_6)) {
        assert.equal(byKey.get(key)![0].partition, javaPartition, `${key} (Java vector)`);
      }

      // Every partition got a share: the keys really were spread, not all hashed to one place.
      assert.equal(new Set(received.map((r) => r.partition)).size, PARTITIONS);
    },
  );
});
