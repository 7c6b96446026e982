// A transactional producer from `connectedProducer` has fenced an older producer of its id by the
// time it is connected: the transaction the older one left open is aborted, and that producer can
// commit nothing more. kafkajs's own `connect` does not do this (it initialises an idempotent
// producer id only); callers such as source-postgres read their committed position right after
// connecting, and rely on nothing older landing after that read.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Admin, type Kafka, type Producer } from 'kafkajs';
import {
  connectedProducer,
  createKafkaClient,
  kafkaConfigSchema,
  readTopicToEnd,
  TopicProvisioner,
} from '@sluice/kafka';
import { stackAddresses, uniqueName } from '@sluice/test-support';

describe('connectedProducer: a transactional producer fences the older one as it connects', () => {
  const topic = uniqueName('it.kafka.fencing');
  const transactionalId = uniqueName('it.kafka.fencing.tx');
  let kafka: Kafka;
  let admin: Admin;
  const producers: Producer[] = [];

  before(async () => {
    kafka = createKafkaClient(
      kafkaConfigSchema.parse({ brokers: stackAddresses().kafkaBrokers, clientId: 'sluice-it-fencing' }),
    );
    admin = kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([{ name: topic, partitions: 1, replicationFactor: 1 }]);
  });

  after(async () => {
    for (const producer of producers) await producer.disconnect().catch(() => undefined);
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  const read = async () => {
    const values: string[] = [];
    const { complete } = await readTopicToEnd(kafka, {
      topic,
      signal: AbortSignal.timeout(20_000),
      onBatch: (_partition, records) => {
        for (const record of records) values.push(record.value?.toString() ?? '');
      },
    });
    return { complete, values };
  };

  it('aborts the transaction the older producer left open, and refuses its commit', async () => {
    const older = await connectedProducer(kafka, { transactionalId, retries: 2 });
    producers.push(older);
    const left = await older.transaction();
    await left.send({ topic, acks: -1, messages: [{ key: 'k', value: 'left open' }] });

    const newer = await connectedProducer(kafka, { transactionalId });
    producers.push(newer);

    // Fenced at the newer one's connect, before it sent anything.
    await assert.rejects(left.commit(), (error: Error & { type?: string }) => {
      assert.match(String(error.type ?? error.message), /FENCED|INVALID_PRODUCER_EPOCH|epoch/i);
      return true;
    });
    const own = await newer.transaction();
    await own.send({ topic, acks: -1, messages: [{ key: 'k', value: 'newer' }] });
    await own.commit();

    const { complete, values } = await read();
    assert.equal(complete, true, 'nothing holds the topic open');
    assert.deepEqual(values, ['newer'], 'the older transaction is aborted, the newer one committed');
  });
});
