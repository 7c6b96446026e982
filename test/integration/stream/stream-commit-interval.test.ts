// runtime.commitIntervalMs against the real broker: under light load a batch that took less than the
// interval holds the next fetch, so records trickling in one by one are processed — and committed,
// one transaction each batch — in a few large batches instead of one batch per record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseStreamRuntimeConfig, StreamRuntime } from '@sluice/stream';
import { createKafkaClient, createProducer } from '@sluice/kafka';
import { uniqueName } from '@sluice/test-support';
import { eventually, kafkaConfig, StreamHarness } from './stream-harness';

/** Records sent one at a time, this far apart. */
const SPACING_MS = 100;
const RECORDS = 25;
/** A pause between processed records longer than this starts a new batch (the batch's own work takes ~ms). */
const BATCH_GAP_MS = 50;

describe('stream runtime: commitIntervalMs', () => {
  const h = new StreamHarness();
  before(() => h.connect());
  after(() => h.close());

  /** How many batches a group with `commitIntervalMs` took for records sent one every SPACING_MS. */
  async function batchesAt(commitIntervalMs: number): Promise<number> {
    const topic = await h.topic('it.stream.interval', 1);
    const processedAt: number[] = [];
    const runtime = new StreamRuntime({
      kafka: kafkaConfig,
      config: parseStreamRuntimeConfig({
        group: uniqueName('it.stream.interval'),
        topics: [topic],
        delivery: 'exactly-once',
        fromBeginning: true,
        commitIntervalMs,
      }),
      processor: {
        name: 'Stamp',
        process: () => {
          processedAt.push(performance.now());
          return Promise.resolve([]);
        },
      },
      metrics: false,
    });
    await runtime.start();
    const producer = createProducer(createKafkaClient(kafkaConfig));
    await producer.connect();
    try {
      // Joined and fetching: a first record comes through before the measured ones are sent.
      await producer.send({ topic, messages: [{ key: 'k', value: 'warm-up' }] });
      await eventually(() => processedAt.length === 1, 30_000, 'the warm-up record processed');
      for (let i = 0; i < RECORDS; i++) {
        await producer.send({ topic, messages: [{ key: `k${i}`, value: `v${i}` }] });
        await new Promise((r) => setTimeout(r, SPACING_MS));
      }
      await eventually(() => processedAt.length === RECORDS + 1, 30_000, 'every record processed');
    } finally {
      await producer.disconnect();
      await runtime.stop();
    }
    const measured = processedAt.slice(1);
    return 1 + measured.slice(1).filter((at, i) => at - measured[i]! > BATCH_GAP_MS).length;
  }

  it('gathers records that trickle in into fewer batches', async () => {
    const eager = await batchesAt(0);
    const paced = await batchesAt(1_000);
    // 25 records over ~2.5 s: without an interval nearly every record is its own batch; with 1 s,
    // one batch per second or so.
    assert.ok(eager >= 15, `without an interval: ${eager} batches for ${RECORDS} records`);
    assert.ok(paced <= 5, `with 1000 ms: ${paced} batches for ${RECORDS} records`);
  });
});
