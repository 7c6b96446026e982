// onKeyFailure: park keeps per-key order under random failures: once a record of a key is
// dead-lettered, every later record of that key follows it into the DLQ marked parked, and none
// of them is ever applied. Seeded, so a failing run can be replayed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FatalRecordError } from '@sluice/errors';
import { parseStreamRuntimeConfig, type RecordProcessor, StreamRuntime } from '@sluice/stream';
import { uniqueName } from '@sluice/test-support';
import { seededRandom } from '../../../libs/stream/src/testing/seeded-random';
import { kafkaConfig, StreamHarness } from './stream-harness';

const KEYS = 50;
const PER_KEY = 20;
const SEED = 20_240_611;

describe('stream runtime: key parking', () => {
  const h = new StreamHarness();
  before(() => h.connect());
  after(() => h.close());

  it(
    `property (seed ${SEED}): random failures over ${KEYS} keys never let a key apply records out of order`,
    { timeout: 120_000 },
    async () => {
      const random = seededRandom(SEED);
      const input = await h.topic('it.stream.park.in', 3);
      const output = await h.topic('it.stream.park.out', 3);
      const group = uniqueName('it.stream.park.group');
      h.track(`${group}.dlq`);
      // Each record fails with probability 4%: the failing set is fixed up front by the seed.
      const failing = new Set<string>();
      const records: { key: string; value: string }[] = [];
      for (let seq = 0; seq < PER_KEY; seq++) {
        for (let k = 0; k < KEYS; k++) {
          const value = `k${k}:${seq}`;
          records.push({ key: `k${k}`, value });
          if (random() < 0.04) failing.add(value);
        }
      }
      await h.produce(input, records);
      const processor: RecordProcessor = {
        name: 'FlakyStep',
        process(record) {
          const value = record.value!.toString();
          if (failing.has(value)) throw new FatalRecordError(`refused ${value}`);
          return [{ topic: output, key: record.key, value }];
        },
      };
      const runtime = new StreamRuntime({
        kafka: kafkaConfig,
        config: parseStreamRuntimeConfig({
          group,
          topics: [input],
          concurrency: { keysPerPartition: 6, maxBufferedPerPartition: 32 },
          failure: { onKeyFailure: 'park', retry: { maxAttempts: 1 } },
        }),
        processor,
      });
      // Expected per key: applied = the prefix before its first failure; the rest dead-lettered.
      const firstFailure = new Map<string, number>();
      for (let k = 0; k < KEYS; k++) {
        for (let seq = 0; seq < PER_KEY; seq++) {
          if (failing.has(`k${k}:${seq}`)) {
            firstFailure.set(`k${k}`, seq);
            break;
          }
        }
      }
      const expectedApplied =
        KEYS * PER_KEY - [...firstFailure.values()].reduce((s, f) => s + PER_KEY - f, 0);
      assert.ok(firstFailure.size > 5 && firstFailure.size < KEYS, 'the seed fails some keys, not all');
      await runtime.start();
      try {
        const applied = await h.read(output, expectedApplied);
        const dead = await h.read(runtime.deadLetterTopic, KEYS * PER_KEY - expectedApplied);
        const seqOf = (v: string | null) => Number(v!.split(':')[1]);
        for (let k = 0; k < KEYS; k++) {
          const key = `k${k}`;
          const stop = firstFailure.get(key) ?? PER_KEY;
          assert.deepEqual(
            applied.filter((r) => r.key === key).map((r) => seqOf(r.value)),
            Array.from({ length: stop }, (_, i) => i),
            `${key}: applied in order, nothing after its first failure`,
          );
          const letters = dead.filter((r) => r.key === key);
          assert.deepEqual(
            letters.map((r) => seqOf(r.value)),
            Array.from({ length: PER_KEY - stop }, (_, i) => stop + i),
            `${key}: the failed record and every later one in the DLQ, in order`,
          );
          if (letters.length > 0) {
            const [failed, ...parked] = letters;
            assert.equal(failed.headers['sluice.errors.parked'], undefined);
            assert.equal(failed.headers['__connect.errors.exception.class.name'], 'FatalRecordError');
            for (const p of parked) {
              assert.equal(
                p.headers['sluice.errors.parked'],
                failed.headers['__connect.errors.offset'],
                `${key} parked behind its failure`,
              );
            }
          }
        }
        assert.equal(applied.length, expectedApplied, 'nothing applied twice');
      } finally {
        await runtime.stop();
      }
    },
  );
});
