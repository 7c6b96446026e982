// A stopping runtime drains what it accepted; meanwhile it takes no new batch. Without a pause,
// kafkajs would fetch the records it was not given over and over until the drain ended. The drain
// here waits for a checkpoint made outside any batch (past an aborted transaction's records, which
// read_committed hides), so kafkajs's fetcher is not held with it, as when a sink's checkpoint waits
// for its database. And a failure is told as the stop starts, not only once the drain is over.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type logCreator } from 'kafkajs';
import { kafkaConfigSchema } from '@sluice/kafka';
import {
  type DeliveryStrategy,
  parseStreamRuntimeConfig,
  type PartitionDelivery,
  type RecordProcessor,
  StreamRuntime,
  type TopicPartition,
} from '@sluice/stream';
import { uniqueName } from '@sluice/test-support';
import { eventually, kafkaConfig, StreamHarness } from './stream-harness';

/** A delivery that keeps nothing, whose checkpoints `hold` may stop until released. */
function heldDelivery(hold: (tp: TopicPartition, nextOffset: bigint) => Promise<void>): DeliveryStrategy {
  return {
    name: 'held',
    start: async () => undefined,
    stop: async () => undefined,
    forPartition: (tp): PartitionDelivery => ({
      begin: async () => undefined,
      send: async () => undefined,
      deadLetter: async () => undefined,
      checkpoint: (nextOffset) => hold(tp, nextOffset),
      abort: async () => undefined,
      close: async () => undefined,
    }),
  };
}

const passThrough: RecordProcessor = { name: 'Nothing', process: async () => [] };

/** Writes `count` records to `topic` in one transaction, committed or aborted. */
async function transaction(h: StreamHarness, topic: string, count: number, outcome: 'commit' | 'abort') {
  const producer = h.kafka.producer({
    transactionalId: uniqueName('it.stream.stopfetch.tx'),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const tx = await producer.transaction();
    await tx.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: String(i) })) });
    await (outcome === 'commit' ? tx.commit() : tx.abort());
  } finally {
    await producer.disconnect();
  }
}

/**
 * A delivery whose checkpoint past `topic`'s aborted records (beyond `committedEnd`) waits for
 * `release`: 5 committed records (offsets 0–4, marker 5) are processed, then 5 aborted ones (6–10,
 * marker 11) come as a fetch of no record, and the runtime checkpoints 12 outside any batch.
 */
function holdPastAborted(topic: string, committedEnd: bigint) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const held = new Promise<void>((resolve) => (reached = resolve));
  let processed!: () => void;
  const committed = new Promise<void>((resolve) => (processed = resolve));
  const hold = async (tp: TopicPartition, nextOffset: bigint) => {
    if (tp.topic !== topic) return;
    if (nextOffset <= committedEnd) return processed();
    reached();
    await gate;
  };
  return { hold, committed, held, release };
}

describe('stream runtime: a stop takes no new batch', () => {
  const h = new StreamHarness();
  before(() => h.connect());
  after(() => h.close());

  it('fetches nothing while a stop drains', { timeout: 90_000 }, async () => {
    const held = await h.topic('it.stream.stopfetch.held', 1);
    const busy = await h.topic('it.stream.stopfetch.busy', 1);
    const group = uniqueName('it.stream.stopfetch.group');
    h.track(`${group}.dlq`);
    await transaction(h, held, 5, 'commit');
    const checkpoints = holdPastAborted(held, 6n);
    let fetches = 0;
    const countFetches: logCreator = () => (entry) => {
      if (entry.log.message.startsWith('Request Fetch(')) fetches += 1;
    };
    const runtime = new StreamRuntime({
      kafka: kafkaConfigSchema.parse({ ...kafkaConfig, logLevel: 'debug' }),
      kafkaClient: { logCreator: countFetches },
      config: parseStreamRuntimeConfig({
        group,
        topics: [held, busy],
        delivery: 'at-least-once',
        // No parked-key log, whose own consumer would long-poll beside the one counted.
        failure: { onKeyFailure: 'skip' },
        shutdownTimeoutMs: 30_000,
      }),
      processor: passThrough,
      delivery: () => heldDelivery(checkpoints.hold),
    });
    await runtime.start();
    try {
      await checkpoints.committed;
      await transaction(h, held, 5, 'abort');
      await checkpoints.held;
      const stopped = runtime.stop();
      // Records arrive that the stopping runtime will not take.
      await h.produce(
        busy,
        Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const before = fetches;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const during = fetches - before;
      checkpoints.release();
      await stopped;
      // One may be in flight as the pause comes; refetching what it does not take, the stopping
      // consumer made ~1,400 (measured).
      assert.ok(during <= 2, `${during} fetch requests in 1.5 s of a drain held by a checkpoint`);
    } finally {
      checkpoints.release();
      await runtime.stop();
    }
  });

  it('tells of a failure as the stop starts, before the drain ends', { timeout: 90_000 }, async () => {
    const held = await h.topic('it.stream.failing.held', 1);
    const failing = await h.topic('it.stream.failing.in', 1);
    const group = uniqueName('it.stream.failing.group');
    h.track(`${group}.dlq`);
    await transaction(h, held, 5, 'commit');
    const checkpoints = holdPastAborted(held, 6n);
    const told: unknown[] = [];
    const runtime = new StreamRuntime({
      kafka: kafkaConfig,
      config: parseStreamRuntimeConfig({
        group,
        topics: [held, failing],
        delivery: 'at-least-once',
        shutdownTimeoutMs: 30_000,
      }),
      processor: passThrough,
      onFailing: (error) => told.push(error),
      delivery: () =>
        heldDelivery(async (tp, nextOffset) => {
          if (tp.topic === failing) throw new Error('the target refused the checkpoint');
          await checkpoints.hold(tp, nextOffset);
        }),
    });
    await runtime.start();
    let settled = false;
    const done = runtime.done.then(
      () => (settled = true),
      () => (settled = true),
    );
    try {
      await checkpoints.committed;
      await transaction(h, held, 5, 'abort');
      await checkpoints.held;
      await h.produce(failing, [{ key: 'f', value: 'fails' }]);
      await eventually(() => told.length > 0, 30_000, 'the failure told');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(settled, false, 'told while the drain still waits for the held checkpoint');
      assert.match((told[0] as Error).message, /refused the checkpoint/);
      checkpoints.release();
      await assert.rejects(runtime.done, /refused the checkpoint/);
      await done;
      assert.equal(told.length, 1, 'told once');
    } finally {
      checkpoints.release();
      await runtime.stop().catch(() => undefined);
    }
  });
  it(
    "counts a partition's lag from the position its delivery keeps, before any batch",
    { timeout: 60_000 },
    async () => {
      const input = await h.topic('it.stream.startlag.in', 1);
      const group = uniqueName('it.stream.startlag.group');
      h.track(`${group}.dlq`);
      await h.produce(
        input,
        Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
      );
      const delivery = heldDelivery(async () => undefined);
      const runtime = new StreamRuntime({
        kafka: kafkaConfig,
        config: parseStreamRuntimeConfig({ group, topics: [input], delivery: 'at-least-once' }),
        processor: passThrough,
        // A sink's delivery: it keeps the position (here offset 2) and the runtime seeks there.
        delivery: () => ({
          ...delivery,
          forPartition: (tp) => ({ ...delivery.forPartition(tp), startingOffset: async () => 2n }),
        }),
      });
      // Paused from the start: no batch is taken, as when a partition's first batch never comes.
      runtime.pause();
      await runtime.start();
      try {
        await eventually(
          () => runtime.partitionProgress().some((p) => p.lag === 8n),
          30_000,
          'lag 8 (end 10, position 2) with no batch processed',
        );
        const [progress] = runtime.partitionProgress();
        assert.equal(progress?.committedOffset, undefined, 'nothing committed');
      } finally {
        await runtime.stop();
      }
    },
  );
});
