// The redrive protocol on the real broker under exactly-once: copies of a parked key's sequence
// are processed (not parked again) in order; a release whose `through` misses records parked
// after the selection keeps the key parked; `sluice dlq redrive` then replays the whole sequence
// and releases the key in the batch's transaction, after which new records of the key flow.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FatalRecordError } from '@sluice/errors';
import { createProducer } from '@sluice/kafka';
import {
  headersToMap,
  type KeptParked,
  parseStreamRuntimeConfig,
  redrivenHeaders,
  type RecordProcessor,
  StreamRuntime,
} from '@sluice/stream';
import { runSluice, uniqueName } from '@sluice/test-support';
import { kafkaConfig, StreamHarness } from './stream-harness';

describe('stream runtime: redrive of a parked key', () => {
  const h = new StreamHarness();
  before(() => h.connect());
  after(() => h.close());

  it(
    'replays copies in order, stays parked for records above through, releases after the full redrive',
    { timeout: 180_000 },
    async () => {
      const input = await h.topic('it.stream.redrive.in', 1);
      const output = await h.topic('it.stream.redrive.out', 1);
      const group = uniqueName('it.stream.redrive.group');
      for (const suffix of ['.dlq', '.dlq.parked', '.dlq.audit']) h.track(`${group}${suffix}`);
      const refused = new Set(['k1:0']);
      const processor: RecordProcessor = {
        name: 'Refuse',
        process(record) {
          const value = record.value!.toString();
          if (refused.has(value)) throw new FatalRecordError(`refused ${value}`);
          return [{ topic: output, key: record.key, value }];
        },
      };
      const kept: KeptParked[] = [];
      const runtime = new StreamRuntime({
        kafka: kafkaConfig,
        config: parseStreamRuntimeConfig({
          group,
          topics: [input],
          delivery: 'exactly-once',
          sessionTimeoutMs: 15_000,
          heartbeatIntervalMs: 500,
          failure: { onKeyFailure: 'park', retry: { maxAttempts: 1 } },
        }),
        processor,
        onKeptParked: (k) => kept.push(k),
      });
      await runtime.start();
      try {
        await h.produce(input, [
          { key: 'k1', value: 'k1:0' }, // offset 0, refused: k1 parked behind 0
          { key: 'k1', value: 'k1:1' }, // 1, parked
          { key: 'k2', value: 'k2:0' }, // 2
          { key: 'k1', value: 'k1:2' }, // 3, parked
        ]);
        assert.equal((await h.read(`${group}.dlq`, 3)).length, 3);
        refused.clear(); // the cause is fixed

        // A redrive whose selection ended at offset 1: offset 3 was parked after it.
        const producer = createProducer(h.kafka);
        await producer.connect();
        const copy = (offset: bigint, value: string, release: boolean) => ({
          key: 'k1',
          value,
          headers: headersToMap(
            redrivenHeaders([], {
              id: 'partial',
              of: { topic: input, partition: 0, offset },
              parked: 0n,
              ...(release ? { release: { failedOffset: 0n, through: 1n } } : {}),
            }),
          ),
        });
        await producer.send({ topic: input, messages: [copy(0n, 'k1:0', false), copy(1n, 'k1:1', true)] });
        await producer.send({ topic: input, messages: [{ key: 'k1', value: 'k1:3' }] });
        await producer.disconnect();
        assert.deepEqual(
          (await h.read(output, 3)).map((r) => r.value),
          ['k2:0', 'k1:0', 'k1:1'],
        );
        const dead = await h.read(`${group}.dlq`, 4);
        assert.equal(dead.at(-1)!.value, 'k1:3', 'still parked: a new record is parked behind 0');
        assert.equal(dead.at(-1)!.headers['sluice.errors.parked'], '0');
        assert.deepEqual(
          kept.map((k) => k.parkedAfter),
          [[3n]],
        );

        // The tool's redrive: the whole sequence again, in order, then the release.
        const run = runSluice(['dlq', 'redrive', '--group', group, '-o', 'json'], { timeoutMs: 60_000 });
        assert.equal(run.code, 0, run.stderr);
        assert.equal((JSON.parse(run.stdout) as { published: number }).published, 4);
        await h.produce(input, [{ key: 'k1', value: 'k1:4' }]);
        const out = (await h.read(output, 8)).map((r) => r.value);
        assert.deepEqual(out, ['k2:0', 'k1:0', 'k1:1', 'k1:0', 'k1:1', 'k1:2', 'k1:3', 'k1:4']);
        assert.equal((await h.read(`${group}.dlq`, 5, 3_000)).length, 4, 'k1:4 was not parked');
      } finally {
        await runtime.stop();
      }
    },
  );
});
