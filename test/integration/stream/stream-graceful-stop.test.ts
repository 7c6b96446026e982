// stop() (what the apps call on SIGTERM) takes no new records, lets accepted ones finish, commits
// them and returns within the shutdown deadline; a later run resumes exactly where it stopped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseStreamRuntimeConfig,
  type RecordProcessor,
  RuntimeStoppedError,
  StreamRuntime,
} from '@sluice/stream';
import { createKafkaClient } from '@sluice/kafka';
import { uniqueName } from '@sluice/test-support';
import { eventually, kafkaConfig, StreamHarness } from './stream-harness';

describe('stream runtime: graceful stop', () => {
  const h = new StreamHarness();
  before(() => h.connect());
  after(() => h.close());

  it('drains in-flight records and commits them within the deadline', { timeout: 90_000 }, async () => {
    const input = await h.topic('it.stream.stop.in', 2);
    const output = await h.topic('it.stream.stop.out', 2);
    const group = uniqueName('it.stream.stop.group');
    h.track(`${group}.dlq`);
    await h.produce(
      input,
      Array.from({ length: 2_000 }, (_, i) => ({ key: `k${i % 40}`, value: String(i) })),
    );
    const processed = new Map<number, bigint[]>();
    const processor: RecordProcessor = {
      name: 'SlowIdentity',
      async process(record) {
        await new Promise((r) => setTimeout(r, 5));
        return [{ topic: output, key: record.key, value: record.value }];
      },
    };
    const config = parseStreamRuntimeConfig({
      group,
      topics: [input],
      delivery: 'at-least-once',
      concurrency: { keysPerPartition: 4 },
      shutdownTimeoutMs: 5_000,
      revokeTimeoutMs: 2_000,
    });
    const runtime = new StreamRuntime({
      kafka: kafkaConfig,
      config,
      processor,
      onOutcome: (record) =>
        processed.set(record.partition, [...(processed.get(record.partition) ?? []), record.offset]),
    });
    await runtime.start();
    await eventually(() => [...processed.values()].flat().length > 100, 30_000, 'some records processed');
    const asked = Date.now();
    await runtime.stop();
    const took = Date.now() - asked;
    assert.ok(took < config.shutdownTimeoutMs + 2_000, `stop returned after ${took} ms`);
    await runtime.done;
    const total = [...processed.values()].flat().length;
    assert.ok(total < 2_000, 'stopped before the end of the input');
    const committed = await h.committedOffsets(group, input);
    for (const [partition, offsets] of processed) {
      const sorted = [...offsets].sort((a, b) => (a < b ? -1 : 1));
      const next = committed.get(partition)!;
      // Every processed record was committed, and nothing unprocessed was: the commit is exactly
      // one past the last processed record, which were contiguous from the start.
      assert.equal(next, sorted[sorted.length - 1] + 1n, `partition ${partition}`);
      assert.deepEqual(
        sorted,
        Array.from({ length: sorted.length }, (_, i) => BigInt(i)),
      );
    }
    assert.equal(
      (await h.read(output, total)).length,
      total,
      'their outputs were produced before the commit',
    );
  });

  it("reports each partition's committed offset, high watermark and lag", { timeout: 60_000 }, async () => {
    const input = await h.topic('it.stream.progress.in', 2);
    const group = uniqueName('it.stream.progress.group');
    h.track(`${group}.dlq`);
    await h.produce(
      input,
      Array.from({ length: 600 }, (_, i) => ({ key: `k${i % 30}`, value: String(i) })),
    );
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let seen = 0;
    const runtime = new StreamRuntime({
      kafka: kafkaConfig,
      config: parseStreamRuntimeConfig({
        group,
        topics: [input],
        delivery: 'at-least-once',
        output: { maxBatchRecords: 50 },
      }),
      processor: {
        name: 'Gated',
        async process() {
          seen += 1;
          if (seen > 200) await gate;
          return [];
        },
      },
    });
    await runtime.start();
    try {
      // Held mid-input: some partition is known to be behind.
      await eventually(
        () => runtime.partitionProgress().some((p) => p.lag !== undefined && p.lag > 0n),
        30_000,
        'a partition reports lag while records wait',
      );
      release();
      const ends = await h.endOffsets(input);
      await eventually(
        () => {
          const progress = runtime.partitionProgress();
          return (
            progress.length === ends.size &&
            progress.every(
              (p) =>
                p.lag === 0n &&
                p.committedOffset === ends.get(p.partition) &&
                p.highWatermark === ends.get(p.partition),
            )
          );
        },
        30_000,
        'every partition committed up to its high watermark',
      );
    } finally {
      release();
      await runtime.stop();
    }
  });

  it('counts no lag for the commit markers of a transactional input', { timeout: 60_000 }, async () => {
    const input = await h.topic('it.stream.markers.in', 2);
    const group = uniqueName('it.stream.markers.group');
    h.track(`${group}.dlq`);
    // Written by an exactly-once stage: every transaction ends in a commit marker.
    const producer = createKafkaClient(kafkaConfig).producer({
      transactionalId: uniqueName('it.stream.markers.tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    for (let t = 0; t < 5; t++) {
      const tx = await producer.transaction();
      await tx.send({
        topic: input,
        messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `${t}:${i}` })),
      });
      await tx.commit();
    }
    await producer.disconnect();
    let processed = 0;
    const runtime = new StreamRuntime({
      kafka: kafkaConfig,
      config: parseStreamRuntimeConfig({ group, topics: [input], delivery: 'at-least-once' }),
      processor: {
        name: 'Count',
        process: () => {
          processed += 1;
          return Promise.resolve([]);
        },
      },
    });
    await runtime.start();
    try {
      await eventually(() => processed === 100, 30_000, 'every record processed');
      const ends = await h.endOffsets(input);
      await eventually(
        () =>
          runtime.partitionProgress().every((p) => p.lag === 0n && p.highWatermark === ends.get(p.partition)),
        30_000,
        'lag 0 although the last offset of each partition is a marker',
      );
    } finally {
      await runtime.stop();
    }
  });

  it('a stop while it starts leaves no consumer in the group', { timeout: 60_000 }, async () => {
    const input = await h.topic('it.stream.stopstart.in', 1);
    const group = uniqueName('it.stream.stopstart.group');
    h.track(`${group}.dlq`);
    // The delivery's start is held open: the stop comes between the admin's connect and the consumer's.
    let reached!: () => void;
    let release!: () => void;
    const atDelivery = new Promise<void>((resolve) => (reached = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const runtime = new StreamRuntime({
      kafka: kafkaConfig,
      config: parseStreamRuntimeConfig({ group, topics: [input], delivery: 'at-least-once' }),
      processor: { name: 'Nothing', process: async () => [] },
      delivery: () => ({
        name: 'held',
        start: async () => {
          reached();
          await gate;
        },
        forPartition: () => {
          throw new Error('no partition is delivered in this test');
        },
        stop: async () => undefined,
      }),
    });
    const started = runtime.start();
    await atDelivery;
    const stopped = runtime.stop();
    release();
    await assert.rejects(started, RuntimeStoppedError);
    await stopped;
    await runtime.done;
    // A consumer that joined after the stop would be a member within a few seconds.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const admin = h.kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([group]);
      assert.deepEqual(groups[0]?.members ?? [], [], `members of ${group}`);
    } finally {
      await admin.disconnect();
    }
  });
});
