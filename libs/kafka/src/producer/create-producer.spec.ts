import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Kafka, Partitioners, type Producer } from 'kafkajs';
import { murmur2Partitioner } from '../partitioning/murmur2-partitioner';
import { connectedProducer, producerConfig } from './create-producer';

describe('producerConfig', () => {
  it('is idempotent with one request in flight, the murmur2 partitioner and no topic auto-creation', () => {
    assert.deepEqual(producerConfig(), {
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: murmur2Partitioner,
      allowAutoTopicCreation: false,
      retry: { retries: Number.MAX_SAFE_INTEGER },
    });
  });

  it('adds the transactional settings only when asked', () => {
    const config = producerConfig({ transactionalId: 'transformer.orders.3', transactionTimeoutMs: 30_000 });
    assert.equal(config.transactionalId, 'transformer.orders.3');
    assert.equal(config.transactionTimeout, 30_000);
    assert.equal(config.idempotent, true);
    // Sooner first retry: CONCURRENT_TRANSACTIONS right after a commit clears in milliseconds.
    assert.deepEqual(config.retry, { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 1 });
  });

  it('takes another partitioner and a retry bound, and leaves the options untouched', () => {
    const options = { partitioner: Partitioners.LegacyPartitioner, retries: 10 };
    const copy = { ...options };
    const config = producerConfig(options);
    assert.equal(config.createPartitioner, Partitioners.LegacyPartitioner);
    assert.deepEqual(config.retry, { retries: 10 });
    assert.deepEqual(options, copy);
  });
});

describe('connectedProducer', () => {
  // A fake client: what is checked is the order of calls, not Kafka's behaviour (the fencing
  // itself is proven against the broker in test/integration/kafka-transactional-fencing.test.ts).
  const kafkaWith = (connect: () => Promise<void>, transaction: () => Promise<void> = async () => {}) => {
    const calls: string[] = [];
    const producer = {
      connect: async () => {
        calls.push('connect');
        await connect();
      },
      transaction: async () => {
        calls.push('transaction');
        await transaction();
        return { abort: async () => void calls.push('abort') };
      },
      disconnect: async () => {
        calls.push('disconnect');
      },
    } as unknown as Producer;
    return { kafka: { producer: () => producer } as unknown as Kafka, calls, producer };
  };

  it('disconnects a producer whose connect failed, then rethrows, so that a retry leaks nothing', async () => {
    const refused = new Error('Connection error: ECONNREFUSED');
    const { kafka, calls } = kafkaWith(() => Promise.reject(refused));
    await assert.rejects(connectedProducer(kafka, { transactionalId: 't' }), (e) => e === refused);
    assert.deepEqual(calls, ['connect', 'disconnect']);
  });

  it('hands back the connected producer; a non-transactional one begins no transaction', async () => {
    const { kafka, calls, producer } = kafkaWith(() => Promise.resolve());
    assert.equal(await connectedProducer(kafka), producer);
    assert.deepEqual(calls, ['connect']);
  });

  it('a transactional one initialises its transactional id (an empty transaction, aborted) before it is handed back', async () => {
    const { kafka, calls, producer } = kafkaWith(() => Promise.resolve());
    assert.equal(await connectedProducer(kafka, { transactionalId: 't' }), producer);
    assert.deepEqual(calls, ['connect', 'transaction', 'abort']);
  });

  it('disconnects a producer whose transactional id was refused, then rethrows', async () => {
    const refused = new Error('InitProducerId: TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
    const { kafka, calls } = kafkaWith(
      () => Promise.resolve(),
      () => Promise.reject(refused),
    );
    await assert.rejects(connectedProducer(kafka, { transactionalId: 't' }), (e) => e === refused);
    assert.deepEqual(calls, ['connect', 'transaction', 'disconnect']);
  });
});
