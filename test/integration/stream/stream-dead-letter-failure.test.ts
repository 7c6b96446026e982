// A dead letter that cannot be written never lets the offset move past its record: the DLQ refuses
// the record (max.message.bytes below the size of its error headers alone), the runtime stops with the broker's error, and
// the group's committed offset stays at or below the failed record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FatalRecordError } from '@sluice/errors';
import { parseStreamRuntimeConfig, type RecordProcessor, StreamRuntime } from '@sluice/stream';
import { uniqueName } from '@sluice/test-support';
import { kafkaConfig, StreamHarness } from './stream-harness';

describe('stream runtime: dead-letter publish failure', () => {
  const h = new StreamHarness();
  before(() => h.connect());
  after(() => h.close());

  for (const delivery of ['exactly-once', 'at-least-once'] as const) {
    it(`${delivery}: a DLQ publish failure never commits the offset`, { timeout: 90_000 }, async () => {
      const input = await h.topic('it.stream.dlqfail.in', 1);
      const output = await h.topic('it.stream.dlqfail.out', 1);
      const group = uniqueName('it.stream.dlqfail.group');
      const dlq = `${group}.dlq`;
      h.track(`${group}.dlq.parked`);
      // Provisioned before the runtime (which leaves an existing topic as it is): too small for
      // any dead letter, even one cut to fit (its error headers alone take more than 128 bytes).
      await h.topicWithLimit(dlq, 128);
      await h.produce(input, [
        { key: 'a', value: 'a:0' },
        { key: 'b', value: 'bad' },
        { key: 'a', value: 'a:1' },
      ]);
      const processed: string[] = [];
      const processor: RecordProcessor = {
        name: 'RefuseBad',
        process(record) {
          const value = record.value!.toString();
          processed.push(value);
          if (value === 'bad') throw new FatalRecordError('refused bad');
          return [{ topic: output, key: record.key, value }];
        },
      };
      const runtime = new StreamRuntime({
        kafka: kafkaConfig,
        config: parseStreamRuntimeConfig({
          group,
          topics: [input],
          delivery,
          failure: { retry: { maxAttempts: 1 } },
        }),
        processor,
      });
      await runtime.start();
      const stopped = await Promise.race([
        runtime.done.then(
          () => 'resolved',
          (error: unknown) => error,
        ),
        new Promise((resolve) => setTimeout(() => resolve('still running'), 60_000)),
      ]);
      await runtime.stop();
      assert.ok(stopped instanceof Error, `the runtime reports the failure (got ${String(stopped)})`);
      // Which the broker reports depends on the check that trips first: either refuses the record for good.
      assert.ok(
        ['MESSAGE_TOO_LARGE', 'INVALID_RECORD'].includes((stopped as { type?: string }).type ?? ''),
        `refused by the broker (${(stopped as { type?: string }).type})`,
      );
      assert.ok(processed.includes('bad'), 'the record was processed and its dead letter attempted');
      const committed = (await h.committedOffsets(group, input)).get(0) ?? -1n;
      assert.ok(committed <= 1n, `committed ${committed}: never past the record whose dead letter failed`);
      if (delivery === 'exactly-once') {
        assert.equal((await h.read(output, 1, 3_000)).length, 0, "the failed batch's outputs are aborted");
      }
    });
  }
});
