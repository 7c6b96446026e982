// Exactly-once under light load against the real broker: each record its own transaction, the next
// one beginning as soon as the previous committed. The coordinator may still be writing the
// previous commit's markers when the next transaction's first request (the group joining it)
// arrives, and refuses it with CONCURRENT_TRANSACTIONS: that must be retried in place, never fail
// the batch (which would stop the runtime and start it again from its last commit).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseStreamRuntimeConfig, StreamRuntime } from '@sluice/stream';
import { createKafkaClient, createProducer } from '@sluice/kafka';
import { uniqueName } from '@sluice/test-support';
import { eventually, kafkaConfig, StreamHarness } from './stream-harness';

const RECORDS = 200;

describe('stream runtime: exactly-once transactions back to back', () => {
  const h = new StreamHarness();
  before(() => h.connect());
  after(() => h.close());

  it('commits one small transaction after another without a failed batch', async () => {
    const input = await h.topic('it.stream.b2b.in', 1);
    const output = await h.topic('it.stream.b2b.out', 1);
    let processed = 0;
    const runtime = new StreamRuntime({
      kafka: kafkaConfig,
      config: parseStreamRuntimeConfig({
        group: uniqueName('it.stream.b2b'),
        topics: [input],
        delivery: 'exactly-once',
        fromBeginning: true,
      }),
      processor: {
        name: 'Copy',
        process: (record) => {
          processed++;
          return Promise.resolve([{ topic: output, key: record.key, value: record.value }]);
        },
      },
      metrics: false,
    });
    let failure: unknown;
    runtime.done.catch((error: unknown) => (failure = error));
    await runtime.start();
    const producer = createProducer(createKafkaClient(kafkaConfig));
    await producer.connect();
    try {
      // One record per send, each sent once the previous one was processed: every record is a
      // batch, and every batch a transaction that begins right after the last one committed.
      for (let i = 0; i < RECORDS; i++) {
        await producer.send({ topic: input, messages: [{ key: `k${i % 7}`, value: `v${i}` }] });
        await eventually(() => processed > i || failure !== undefined, 30_000, `record ${i} processed`);
        if (failure !== undefined) break;
      }
    } finally {
      await producer.disconnect();
      await runtime.stop().catch(() => undefined);
    }
    assert.equal(failure, undefined, `the runtime failed: ${String(failure)}`);
    const values = (await h.readAll(output)).map((r) => r.value?.toString());
    assert.deepEqual(
      values,
      Array.from({ length: RECORDS }, (_, i) => `v${i}`),
      'every record once, in order',
    );
  });
});
