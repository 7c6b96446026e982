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
});
