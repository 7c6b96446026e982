// A record that cannot be processed goes to `<group>.dlq` unchanged with every Kafka Connect and
// Sluice error header, and the stream goes on; retriable failures are retried in place.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RetriableError } from '@sluice/errors';
import { CorruptRecordError } from '@sluice/schema';
import { parseStreamRuntimeConfig, type RecordProcessor, StreamRuntime } from '@sluice/stream';
import { uniqueName } from '@sluice/test-support';
import { kafkaConfig, StreamHarness } from './stream-harness';

describe('stream runtime: dead-letter topic', () => {
  const h = new StreamHarness();
  before(() => h.connect());
  after(() => h.close());

  for (const delivery of ['exactly-once', 'at-least-once'] as const) {
    it(
      `${delivery}: a poison record goes to the DLQ with every header and the stream goes on`,
      { timeout: 90_000 },
      async () => {
        const input = await h.topic('it.stream.dlq.in', 3);
        const output = await h.topic('it.stream.dlq.out', 3);
        const group = uniqueName('it.stream.dlq.group');
        h.track(`${group}.dlq`);
        const flaky = new Set<string>();
        const processor: RecordProcessor = {
          name: 'UppercaseProcessor',
          async process(record, ctx) {
            const text = await ctx.stage('VALUE_CONVERTER', 'RecordDecoder', () => {
              const v = record.value!.toString();
              if (v === 'poison') throw new CorruptRecordError('Unknown magic byte 0x70');
              return v;
            });
            if (text === 'flaky' && !flaky.has(record.key!.toString())) {
              flaky.add(record.key!.toString());
              throw new RetriableError('broker timed out');
            }
            if (text === 'bad-step') {
              await ctx.stage('TRANSFORMATION', 'RejectStep', () => {
                throw new Error('step refused the record');
              });
            }
            return [{ topic: output, key: record.key, value: text.toUpperCase(), headers: record.headers }];
          },
        };
        const records = [
          { key: 'a', value: 'one' },
          { key: 'b', value: 'poison' },
          { key: 'c', value: 'flaky' },
          { key: 'd', value: 'bad-step' },
          { key: 'e', value: 'two' },
        ];
        await h.produce(input, records);
        const before = Date.now();
        const runtime = new StreamRuntime({
          kafka: kafkaConfig,
          config: parseStreamRuntimeConfig({
            group,
            topics: [input],
            delivery,
            failure: { retry: { initialDelayMs: 10, maxDelayMs: 20 }, onKeyFailure: 'skip' },
          }),
          processor,
        });
        await runtime.start();
        try {
          const out = await h.read(output, 3);
          assert.deepEqual(out.map((r) => r.value).sort(), ['FLAKY', 'ONE', 'TWO']);
          const dlq = await h.read(runtime.deadLetterTopic, 2);
          assert.equal(
            await h.partitionCount(runtime.deadLetterTopic),
            3,
            'DLQ has the source partition count',
          );
          const poison = dlq.find((r) => r.key === 'b')!;
          assert.equal(poison.value, 'poison', 'value bytes unchanged');
          const source = (await h.read(input, 5)).find((r) => r.key === 'b')!;
          assert.equal(poison.partition, source.partition, 'same partition number as the source record');
          const x = poison.headers;
          assert.equal(x['__connect.errors.topic'], input);
          assert.equal(x['__connect.errors.partition'], String(source.partition));
          assert.equal(x['__connect.errors.offset'], String(source.offset));
          assert.equal(x['__connect.errors.connector.name'], group);
          assert.equal(x['__connect.errors.stage'], 'VALUE_CONVERTER');
          assert.equal(x['__connect.errors.class.name'], 'RecordDecoder');
          assert.equal(x['__connect.errors.exception.class.name'], 'CorruptRecordError');
          assert.equal(x['__connect.errors.exception.message'], 'Unknown magic byte 0x70');
          assert.match(
            x['__connect.errors.exception.stacktrace'],
            /^CorruptRecordError: Unknown magic byte 0x70\n\s+at /,
          );
          assert.equal(x['sluice.errors.attempts'], '1', 'a fatal record error is not retried');
          const first = Number(x['sluice.errors.first.ts']);
          assert.ok(first >= before && first <= Date.now());
          assert.ok(Number(x['sluice.errors.last.ts']) >= first);
          assert.equal(x['sluice.errors.parked'], undefined);
          const step = dlq.find((r) => r.key === 'd')!;
          assert.equal(step.headers['__connect.errors.stage'], 'TRANSFORMATION');
          assert.equal(step.headers['__connect.errors.class.name'], 'RejectStep');
          assert.equal(step.headers['__connect.errors.exception.class.name'], 'Error');
          // Everything was consumed: the group's committed position is past every input record.
          let committed = 0;
          for (let i = 0; i < 100 && committed < 5; i++) {
            committed = [...(await h.committedOffsets(group, input)).values()].reduce(
              (s, o) => s + Math.max(0, Number(o)),
              0,
            );
            if (committed < 5) await new Promise((r) => setTimeout(r, 100));
          }
          assert.equal(committed, 5, 'offsets committed past all five records');
        } finally {
          await runtime.stop();
        }
      },
    );
  }

  /** A runtime whose processor refuses every record: each goes to the DLQ. */
  const refusingRuntime = (group: string, input: string, delivery: 'exactly-once' | 'at-least-once') =>
    new StreamRuntime({
      kafka: kafkaConfig,
      config: parseStreamRuntimeConfig({
        group,
        topics: [input],
        delivery,
        failure: { retry: { maxAttempts: 1 }, onKeyFailure: 'skip' },
      }),
      processor: {
        name: 'RefuseAll',
        async process() {
          throw new Error('refused');
        },
      },
    });

  async function committedCount(group: string, topic: string, expected: number): Promise<number> {
    let committed = 0;
    for (let i = 0; i < 200 && committed < expected; i++) {
      committed = [...(await h.committedOffsets(group, topic)).values()].reduce(
        (sum, o) => sum + Math.max(0, Number(o)),
        0,
      );
      if (committed < expected) await new Promise((r) => setTimeout(r, 100));
    }
    return committed;
  }

  it(
    'a dead letter larger than an existing DLQ takes is cut to fit, and the stream goes on',
    { timeout: 90_000 },
    async () => {
      const input = await h.topic('it.stream.dlq.cut.in', 1);
      const group = uniqueName('it.stream.dlq.cut.group');
      // The DLQ exists already with a small limit: the runtime keeps it (it never rewrites configs).
      await h.topicWithLimit(`${group}.dlq`, 20_000);
      await h.produce(input, [
        { key: 'big', value: 'x'.repeat(50_000) },
        { key: 'small', value: 'small' },
      ]);
      const runtime = refusingRuntime(group, input, 'at-least-once');
      await runtime.start();
      try {
        const dlq = await h.read(runtime.deadLetterTopic, 2);
        const big = dlq.find((r) => r.key === 'big');
        assert.ok(big, 'the big record has its dead letter');
        assert.equal(big.value, null);
        assert.equal(big.headers['sluice.errors.omitted'], 'value (50000 bytes)');
        assert.equal(big.headers['__connect.errors.offset'], '0', 'it names where the original is');
        assert.equal(dlq.find((r) => r.key === 'small')?.value, 'small');
        assert.equal(await committedCount(group, input, 2), 2, 'offsets committed past both records');
      } finally {
        await runtime.stop();
      }
    },
  );

  it('the DLQ it creates takes the largest record its input topic does', { timeout: 90_000 }, async () => {
    const input = uniqueName('it.stream.dlq.large.in');
    await h.topicWithLimit(input, 3_000_000);
    const group = uniqueName('it.stream.dlq.large.group');
    h.track(`${group}.dlq`);
    await h.produce(input, [{ key: 'large', value: 'y'.repeat(2_000_000) }]);
    const runtime = refusingRuntime(group, input, 'exactly-once');
    await runtime.start();
    try {
      const [letter] = await h.read(runtime.deadLetterTopic, 1);
      assert.equal(letter?.value?.length, 2_000_000, 'the whole value');
      assert.equal(letter?.headers['sluice.errors.omitted'], undefined);
      assert.equal(await committedCount(group, input, 1), 1);
    } finally {
      await runtime.stop();
    }
  });
});
