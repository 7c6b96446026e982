// The source's publisher against a real broker: events of many interleaved transactions go out in
// batches, arrive in commit order per key, and the slot position it reports only ever covers
// transactions whose every event Kafka acknowledged.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Admin, type Kafka, type Producer } from 'kafkajs';
import { createKafkaClient, createProducer, kafkaConfigSchema, TopicProvisioner } from '@sluice/kafka';
import { AcknowledgementWindow, ChangeEventPublisher, Lsn } from '@sluice/postgres-cdc';
import { stackAddresses, uniqueName } from '@sluice/test-support';

describe('ChangeEventPublisher on a real broker', () => {
  const topic = uniqueName('it.cdc.publisher');
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;

  before(async () => {
    kafka = createKafkaClient(
      kafkaConfigSchema.parse({ brokers: stackAddresses().kafkaBrokers, clientId: 'sluice-it-publisher' }),
    );
    admin = kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([{ name: topic, partitions: 3, replicationFactor: 1 }]);
    producer = createProducer(kafka);
    await producer.connect();
  });

  after(async () => {
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('delivers 3,000 transactions in order per key and confirms each commit position once acked', async () => {
    const confirmed: bigint[] = [];
    const window = new AcknowledgementWindow();
    const publisher = new ChangeEventPublisher(producer, window, {
      maxBatchRecords: 500,
      maxBatchBytes: 900_000,
      lingerMs: 1,
      maxPendingEvents: 2000,
      sendTimeoutMs: 30_000,
      onConfirmable: (lsn) => confirmed.push(lsn.toBigInt()),
    });
    const TXS = 3000;
    let seq = 0;
    for (let t = 0; t < TXS; t++) {
      const tx = window.open();
      for (let e = 0; e < 1 + (t % 3); e++) {
        const key = `k${(t * 7 + e) % 40}`;
        await publisher.publish({ topic, key: Buffer.from(key), value: Buffer.from(String(seq++)) }, tx);
      }
      publisher.close(tx, Lsn.fromBigInt(BigInt((t + 1) * 100)));
      if (t % 500 === 0) publisher.mark(Lsn.fromBigInt(BigInt((t + 1) * 100 + 50)));
    }
    await publisher.flush();
    assert.equal(publisher.pending, 0);
    assert.ok(confirmed.length > 0);
    assert.deepEqual(
      confirmed,
      [...confirmed].sort((a, b) => (a < b ? -1 : 1)),
      'confirmed positions only grow',
    );
    assert.equal(confirmed.at(-1), BigInt(TXS * 100), 'the last commit is confirmed after the flush');

    const seen = new Map<string, number>();
    let count = 0;
    const consumer = kafka.consumer({ groupId: uniqueName('it-publisher-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const key = message.key!.toString();
            const value = Number(message.value!.toString());
            const last = seen.get(key) ?? -1;
            if (value <= last) reject(new Error(`key ${key}: ${value} arrived after ${last}`));
            seen.set(key, value);
            if (++count === seq) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    assert.equal(count, seq, 'every event arrived once');
  });

  it('rejects publishing once a send failed, so the source restarts from the confirmed position', async () => {
    // Sluice's producers retry retriable failures without bound; a bounded one shows the failure path.
    const bounded = createProducer(kafka, { retries: 1 });
    await bounded.connect();
    const window = new AcknowledgementWindow();
    const confirmed: Lsn[] = [];
    const publisher = new ChangeEventPublisher(bounded, window, {
      maxBatchRecords: 10,
      maxBatchBytes: 900_000,
      lingerMs: 0,
      maxPendingEvents: 100,
      sendTimeoutMs: 30_000,
      onConfirmable: (lsn) => confirmed.push(lsn),
    });
    const tx = window.open();
    // A topic that does not exist: auto-creation is off, so the broker refuses the batch.
    await publisher.publish({ topic: uniqueName('it.cdc.missing'), key: Buffer.from('k'), value: null }, tx);
    publisher.close(tx, Lsn.fromBigInt(1000n));
    await assert.rejects(
      publisher.flush(),
      (error: unknown) => (error as { retriable?: boolean }).retriable === true,
    );
    assert.equal(confirmed.length, 0, 'nothing confirmed for an unacknowledged event');
    await assert.rejects(publisher.publish({ topic, key: Buffer.from('k'), value: null }, window.open()));
    await bounded.disconnect();
  });
});
