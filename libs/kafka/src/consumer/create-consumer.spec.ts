import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ConsumerConfig, type Kafka } from 'kafkajs';
import { consumerConfig, createConsumer } from './create-consumer';

describe('consumerConfig', () => {
  it('reads committed records only, never creates topics and waits 500 ms for a fetch', () => {
    assert.deepEqual(consumerConfig({ groupId: 'sluice-transformer' }), {
      groupId: 'sluice-transformer',
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
    });
  });

  it('passes the session, heartbeat, fetch wait and fetch size under kafkajs names', () => {
    const options = {
      groupId: 'g',
      fetchMaxWaitMs: 100,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      maxBytesPerPartition: 65_536,
    };
    const copy = { ...options };
    const config = consumerConfig(options);
    assert.equal(config.maxWaitTimeInMs, 100);
    assert.equal(config.sessionTimeout, 10_000);
    assert.equal(config.heartbeatInterval, 1_000);
    assert.equal(config.maxBytesPerPartition, 65_536);
    assert.deepEqual(options, copy);
  });

  it("asks restartOnFailure before a crash-restart, keeping kafkajs's 5 retries of the consumer", async () => {
    let stopping = false;
    const config = consumerConfig({ groupId: 'g', restartOnFailure: async () => !stopping });
    assert.equal(config.retry?.retries, 5);
    assert.equal(await config.retry?.restartOnFailure?.(new Error('crash')), true);
    stopping = true;
    assert.equal(await config.retry?.restartOnFailure?.(new Error('crash')), false);
    assert.equal(consumerConfig({ groupId: 'g' }).retry, undefined, 'no retry option without one');
  });

  it('restarts no crashed consumer once its owner stopped or disconnected it, until run again', async () => {
    let config: ConsumerConfig | undefined;
    const calls: string[] = [];
    const kafka = {
      consumer: (c: ConsumerConfig) => {
        config = c;
        return {
          run: async () => void calls.push('run'),
          stop: async () => void calls.push('stop'),
          disconnect: async () => void calls.push('disconnect'),
        };
      },
    } as unknown as Kafka;
    const consumer = createConsumer(kafka, { groupId: 'g' });
    const restarts = () => config!.retry!.restartOnFailure!(new Error('crash'));
    assert.equal(await restarts(), true);
    await consumer.stop();
    assert.equal(await restarts(), false, 'stopped by its owner');
    await consumer.run({});
    assert.equal(await restarts(), true, 'run again');
    await consumer.disconnect();
    assert.equal(await restarts(), false, 'disconnected by its owner');
    assert.deepEqual(calls, ['stop', 'run', 'disconnect'], "kafkajs's own methods still run");
    createConsumer(kafka, { groupId: 'g', restartOnFailure: async () => false });
    assert.equal(await restarts(), false, "the owner's own answer counts too");
  });
});
