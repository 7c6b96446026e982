// Two runtime instances in one group, the second joining in the middle of the run: the rebalance
// moves partitions between them, and the output still has every input once, in order per key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseStreamRuntimeConfig, type RecordProcessor, StreamRuntime } from '@sluice/stream';
import { uniqueName } from '@sluice/test-support';
import { kafkaConfig, StreamHarness } from './stream-harness';

const N = 6_000;
const KEYS = 60;

describe('stream runtime: rebalance', () => {
  const h = new StreamHarness();
  before(() => h.connect());
  after(() => h.close());

  it('a member joining mid-run keeps per-key order and loses nothing', { timeout: 150_000 }, async () => {
    const input = await h.topic('it.stream.rebalance.in', 4);
    const output = await h.topic('it.stream.rebalance.out', 4);
    const group = uniqueName('it.stream.rebalance.group');
    h.track(`${group}.dlq`);
    await h.produce(
      input,
      Array.from({ length: N }, (_, i) => ({ key: `k${i % KEYS}`, value: String(i) })),
    );
    const handledBy = new Map<string, Set<string>>();
    let processed = 0;
    const make = (name: string): StreamRuntime => {
      const processor: RecordProcessor = {
        name: 'SlowIdentity',
        async process(record) {
          // About 20 s for the whole input: the second member's join completes while most of it is
          // still ahead.
          await new Promise((r) => setTimeout(r, 25));
          processed += 1;
          const tp = `${record.partition}`;
          handledBy.set(tp, (handledBy.get(tp) ?? new Set()).add(name));
          return [{ topic: output, key: record.key, value: record.value }];
        },
      };
      return new StreamRuntime({
        kafka: kafkaConfig,
        config: parseStreamRuntimeConfig({
          group,
          topics: [input],
          concurrency: { keysPerPartition: 2 },
          sessionTimeoutMs: 10_000,
          heartbeatIntervalMs: 500,
          revokeTimeoutMs: 2_000,
        }),
        processor,
      });
    };
    const a = make('a');
    const b = make('b');
    await a.start();
    try {
      // Counted where records are processed, not in the output: an exactly-once batch shows in the
      // output only when its transaction commits, by then most of the input may be done.
      while (processed < N / 10) await new Promise((r) => setTimeout(r, 50));
      await b.start();
      await h.untilConsumed(group, input, 120_000);
      await Promise.all([a.stop(), b.stop()]);
      // The whole output, not the first N records to arrive: a duplicate anywhere makes it N + 1.
      const seen = await h.readAll(output);
      const values = seen.map((r) => Number(r.value));
      assert.equal(new Set(values).size, N, 'every input arrived');
      assert.equal(values.length, N, 'none twice (exactly-once across the rebalance)');
      const last = new Map<string, number>();
      for (const r of seen) {
        const v = Number(r.value);
        assert.ok((last.get(r.key!) ?? -1) < v, `key ${r.key}: ${v} after ${last.get(r.key!)}`);
        last.set(r.key!, v);
      }
      assert.ok(
        [...handledBy.values()].some((members) => members.has('b')),
        'the second member took over partitions',
      );
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
