// onKeyFailure: park survives restarts and partition moves: the parked keys are kept in the
// compacted <group>.dlq.parked topic (written with the dead letter) and restored when a partition
// is assigned, before its first record runs; unpark writes the release, which survives too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FatalRecordError } from '@sluice/errors';
import {
  parseStreamRuntimeConfig,
  type RecordOutcome,
  type RecordProcessor,
  StreamRuntime,
} from '@sluice/stream';
import { uniqueName } from '@sluice/test-support';
import { kafkaConfig, type ReadRecord, StreamHarness } from './stream-harness';

describe('stream runtime: durable key parking', () => {
  const h = new StreamHarness();
  before(() => h.connect());
  after(() => h.close());

  /** A group over a 2-partition input whose processor refuses `k1:0` only. */
  async function setUp(prefix: string) {
    const input = await h.topic(`it.stream.${prefix}.in`, 2);
    const output = await h.topic(`it.stream.${prefix}.out`, 2);
    const group = uniqueName(`it.stream.${prefix}.group`);
    h.track(`${group}.dlq`);
    h.track(`${group}.dlq.parked`);
    const processor: RecordProcessor = {
      name: 'RefuseFirstOfK1',
      process(record) {
        const value = record.value!.toString();
        if (value === 'k1:0') throw new FatalRecordError(`refused ${value}`);
        return [{ topic: output, key: record.key, value }];
      },
    };
    const runtime = (
      delivery: 'exactly-once' | 'at-least-once',
      onOutcome?: (value: string, outcome: RecordOutcome) => void,
    ) =>
      new StreamRuntime({
        kafka: kafkaConfig,
        config: parseStreamRuntimeConfig({
          group,
          topics: [input],
          delivery,
          sessionTimeoutMs: 10_000,
          heartbeatIntervalMs: 500,
          revokeTimeoutMs: 2_000,
          failure: { onKeyFailure: 'park', retry: { maxAttempts: 1 } },
        }),
        processor,
        ...(onOutcome ? { onOutcome: (r, o) => onOutcome(r.value!.toString(), o) } : {}),
      });
    return { input, output, group, runtime };
  }

  const values = (records: readonly ReadRecord[]) => records.map((r) => r.value).sort();

  /** The first dead letter is k1:0 itself; the rest must be k1's later records parked behind it. */
  function assertParkedBehind(dead: readonly ReadRecord[], expected: readonly string[]): void {
    const [failed, ...parked] = dead;
    assert.equal(failed.value, 'k1:0');
    assert.equal(failed.headers['sluice.errors.parked'], undefined);
    assert.deepEqual(
      parked.map((r) => r.value),
      expected,
    );
    for (const r of parked) {
      assert.equal(r.partition, failed.partition, 'same DLQ partition as the failed record');
      assert.equal(r.headers['sluice.errors.parked'], failed.headers['__connect.errors.offset']);
    }
  }

  it(
    'exactly-once: a parked key stays parked across a restart; unpark survives the next restart',
    { timeout: 120_000 },
    async () => {
      const { input, output, runtime } = await setUp('park.restart');
      await h.produce(input, [
        { key: 'k1', value: 'k1:0' },
        { key: 'k2', value: 'k2:0' },
      ]);
      const first = runtime('exactly-once');
      await first.start();
      try {
        assert.deepEqual(values(await h.read(first.deadLetterTopic, 1)), ['k1:0']);
        assert.deepEqual(values(await h.read(output, 1)), ['k2:0']);
      } finally {
        await first.stop();
      }

      await h.produce(input, [
        { key: 'k1', value: 'k1:1' },
        { key: 'k2', value: 'k2:1' },
      ]);
      const second = runtime('exactly-once');
      await second.start();
      let k1Partition: number;
      try {
        const dead = await h.read(second.deadLetterTopic, 2);
        assertParkedBehind(dead, ['k1:1']);
        assert.deepEqual(values(await h.read(output, 2)), ['k2:0', 'k2:1'], 'other keys flow, k1 does not');
        k1Partition = dead[0].partition;
        const released = await second.unpark({ topic: input, partition: k1Partition }, 'k1');
        assert.deepEqual(released, [BigInt(dead[0].headers['__connect.errors.offset'])]);
      } finally {
        await second.stop();
      }

      await h.produce(input, [{ key: 'k1', value: 'k1:2' }]);
      const third = runtime('exactly-once');
      await third.start();
      try {
        assert.deepEqual(values(await h.read(output, 3)), ['k1:2', 'k2:0', 'k2:1'], 'k1 flows again');
        assert.equal((await h.read(third.deadLetterTopic, 3, 3_000)).length, 2, 'nothing more parked');
      } finally {
        await third.stop();
      }
    },
  );

  it(
    'at-least-once: a parked key stays parked when its partition moves to another member',
    { timeout: 120_000 },
    async () => {
      const { input, output, runtime } = await setUp('park.move');
      await h.produce(input, [
        { key: 'k1', value: 'k1:0' },
        { key: 'k2', value: 'k2:0' },
      ]);
      const seenByB = new Map<string, RecordOutcome>();
      const a = runtime('at-least-once');
      const b = runtime('at-least-once', (value, outcome) => seenByB.set(value, outcome));
      await a.start();
      try {
        assert.deepEqual(values(await h.read(a.deadLetterTopic, 1)), ['k1:0']);
        assert.deepEqual(values(await h.read(output, 1)), ['k2:0']);
        await b.start();
      } finally {
        // Every partition moves to b (those it did not get when it joined, now).
        await a.stop();
      }
      try {
        await h.produce(input, [
          { key: 'k1', value: 'k1:1' },
          { key: 'k2', value: 'k2:1' },
        ]);
        assertParkedBehind(await h.read(b.deadLetterTopic, 2), ['k1:1']);
        assert.deepEqual(values(await h.read(output, 2)), ['k2:0', 'k2:1']);
        assert.equal(seenByB.get('k1:1'), 'parked', 'the new owner parked it');
        assert.equal(seenByB.get('k2:1'), 'processed');
      } finally {
        await b.stop();
      }
    },
  );
});
