import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaConfigSchema } from '@sluice/kafka';
import { PartitionLostError, RuntimeStoppedError, StreamRuntime } from './stream-runtime';
import { parseStreamRuntimeConfig } from './stream-runtime-config';

/**
 * A runtime as a start leaves it, its clients doubles (a real start needs a broker): each stop step
 * is recorded, and those named in `failing` throw.
 */
function startedRuntime(failing: readonly string[]) {
  const steps: string[] = [];
  const step = (name: string) => async () => {
    steps.push(name);
    if (failing.includes(name)) throw new Error(`${name} failed`);
  };
  const runtime = new StreamRuntime({
    kafka: kafkaConfigSchema.parse({ brokers: ['localhost:9092'] }),
    config: parseStreamRuntimeConfig({ group: 'g', topics: ['t'] }),
    processor: { name: 'Nothing', process: () => [] },
    metrics: false,
  });
  Object.assign(runtime, {
    consumer: { stop: step('consumer.stop'), disconnect: step('consumer.disconnect') },
    standby: { stop: step('standby.stop') },
    strategy: { stop: step('strategy.stop') },
    parkedLog: { stop: step('parkedLog.stop') },
    admin: { disconnect: step('admin.disconnect') },
  });
  return { runtime, steps };
}

/** The steps of a stop, in order. */
const STOP_STEPS = [
  'consumer.stop',
  'standby.stop',
  'strategy.stop',
  'parkedLog.stop',
  'consumer.disconnect',
  'admin.disconnect',
];

describe('StreamRuntime stop', () => {
  it('releases every client even when a step before threw, then rejects with the first failure', async () => {
    const { runtime, steps } = startedRuntime(['consumer.stop', 'standby.stop', 'consumer.disconnect']);
    await assert.rejects(runtime.stop(), /^Error: consumer\.stop failed$/);
    assert.deepEqual(steps, STOP_STEPS);
    await runtime.done; // a stop, not a failure of the runtime
  });

  it('stops in order and resolves when every step went well', async () => {
    const { runtime, steps } = startedRuntime([]);
    await runtime.stop();
    assert.deepEqual(steps, STOP_STEPS);
  });
});

describe('StreamRuntime assignment', () => {
  /** A runtime holding a worker (a double that records its close) per partition of topic `t` in `held`. */
  function runtimeHolding(held: readonly number[]) {
    const runtime = new StreamRuntime({
      kafka: kafkaConfigSchema.parse({ brokers: ['localhost:9092'] }),
      config: parseStreamRuntimeConfig({ group: 'g', topics: ['t'] }),
      processor: { name: 'Nothing', process: () => [] },
      metrics: false,
    });
    const closed: number[] = [];
    let closeDone: () => void = () => undefined;
    /** Closes resolve when `finishCloses` is called (a close waits out its old batch). */
    const closes = new Promise<void>((resolve) => (closeDone = resolve));
    const internals = runtime as unknown as {
      workers: Map<string, { close(): Promise<void>; committedOffset?: bigint }>;
      admin: unknown;
      fencedStart(tp: { topic: string; partition: number }, worker: unknown): Promise<bigint | undefined>;
      strategy: unknown;
      stopping: boolean;
      onAssignment(assignment: Record<string, number[]>, memberId: string): void;
      workerFor(tp: { topic: string; partition: number }, heartbeat?: () => Promise<void>): Promise<unknown>;
    };
    internals.strategy = { forPartition: () => ({ fence: async () => undefined }) };
    // The group's offset as OffsetFetch reads it (5), trailing the held workers' commits (9).
    internals.admin = {
      fetchOffsets: async () => [{ topic: 't', partitions: [{ partition: 0, offset: '5' }] }],
    };
    for (const partition of held)
      internals.workers.set(`t\u0000${partition}`, {
        committedOffset: 9n,
        close: async () => {
          closed.push(partition);
          await closes;
        },
      });
    const join = (partitions: number[], memberId: string) =>
      internals.onAssignment({ t: partitions }, memberId);
    const workersOf = () => [...internals.workers.keys()].map((key) => key.replace('\u0000', ':')).sort();
    return { join, closed, workersOf, internals, finishCloses: () => closeDone() };
  }

  it('keeps the workers of partitions the same member keeps and closes those of partitions it lost', () => {
    const { join, closed, workersOf } = runtimeHolding([0, 1, 2]);
    join([0, 1, 2], 'member-1');
    join([0, 2], 'member-1');
    assert.deepEqual(closed, [1]);
    assert.deepEqual(workersOf(), ['t:0', 't:2']);
  });

  it('closes every worker when the member rejoins under a new member id, kept partitions too', () => {
    const { join, closed, workersOf } = runtimeHolding([0, 1, 2]);
    join([0, 1, 2], 'member-1');
    assert.deepEqual(closed, []);
    // kafkajs restarted its consumer: a new member, handed partitions 0 and 2 again.
    join([0, 2], 'member-2');
    assert.deepEqual(closed.sort(), [0, 1, 2]);
    assert.deepEqual(workersOf(), []);
  });

  it("makes a partition's new worker only once its old one closed, heartbeating while it waits", async () => {
    const { join, internals, finishCloses } = runtimeHolding([0]);
    join([0], 'member-1');
    join([0], 'member-2');
    let heartbeats = 0;
    let made = false;
    const next = internals
      .workerFor({ topic: 't', partition: 0 }, async () => void heartbeats++)
      .then((w) => {
        made = true;
        return w;
      });
    // The heartbeat interval is 1 s by default: wait past one.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    assert.equal(made, false);
    assert.ok(heartbeats >= 1, `heartbeats while waiting: ${heartbeats}`);
    finishCloses();
    assert.ok(await next);
    assert.deepEqual([...internals.workers.keys()], ['t\u00000']);
  });

  it('makes no worker for a partition lost, or for a runtime stopping, while the old one closed', async () => {
    const lost = runtimeHolding([0]);
    lost.join([0], 'member-1');
    lost.join([0], 'member-2');
    const waiting = lost.internals.workerFor({ topic: 't', partition: 0 });
    lost.join([1], 'member-2');
    lost.finishCloses();
    await assert.rejects(waiting, PartitionLostError);
    assert.equal(lost.internals.workers.size, 0);

    const stopping = runtimeHolding([0]);
    stopping.join([0], 'member-1');
    stopping.join([0], 'member-2');
    const waitingToo = stopping.internals.workerFor({ topic: 't', partition: 0 });
    stopping.internals.stopping = true;
    stopping.finishCloses();
    await assert.rejects(waitingToo, RuntimeStoppedError);
    assert.equal(stopping.internals.workers.size, 0);
  });

  it("starts a rejoined partition's new worker no earlier than its closed one committed", async () => {
    const { join, internals, finishCloses } = runtimeHolding([0]);
    join([0], 'member-1');
    join([0], 'member-2');
    finishCloses();
    const worker = await internals.workerFor({ topic: 't', partition: 0 });
    assert.equal(await internals.fencedStart({ topic: 't', partition: 0 }, worker), 9n);
    // Once: a later generation (an operator may have reset the group meanwhile) reads the group's.
    assert.equal(await internals.fencedStart({ topic: 't', partition: 0 }, worker), 5n);
  });

  it("forgets a closed worker's commit when its partition went elsewhere before the close ended", async () => {
    const { join, internals, finishCloses } = runtimeHolding([0]);
    join([0], 'member-1');
    join([0], 'member-2');
    join([1], 'member-2');
    finishCloses();
    await new Promise((resolve) => setImmediate(resolve));
    join([0, 1], 'member-2');
    const worker = await internals.workerFor({ topic: 't', partition: 0 });
    assert.equal(await internals.fencedStart({ topic: 't', partition: 0 }, worker), 5n);
  });
});
