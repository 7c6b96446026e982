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
