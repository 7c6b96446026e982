import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaConfigSchema } from '@sluice/kafka';
import { StreamRuntime } from './stream-runtime';
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
    const internals = runtime as unknown as {
      workers: Map<string, { close(): Promise<void> }>;
      onAssignment(assignment: Record<string, number[]>, memberId: string): void;
    };
    for (const partition of held)
      internals.workers.set(`t\u0000${partition}`, {
        close: async () => {
          closed.push(partition);
        },
      });
    const join = (partitions: number[], memberId: string) =>
      internals.onAssignment({ t: partitions }, memberId);
    const workersOf = () => [...internals.workers.keys()].map((key) => key.replace('\u0000', ':')).sort();
    return { join, closed, workersOf };
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
});
