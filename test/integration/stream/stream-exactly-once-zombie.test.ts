// Exactly-once against a previous owner that is still alive (a zombie: paused, cut off from the
// group) and commits after the partition was assigned here. kafkajs reads the group's committed
// offset as the partition is assigned, before the runtime has fenced anything (kafkajs has no
// KIP-447): a commit between that read and the fence would have this owner process the same
// records again. The runtime fences first, then reads where the group stands. Here the late commit
// is complete before the runtime's first batch, so this stages the read again, not the order of
// fence and read (a commit landing between those two cannot be timed from outside).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseStreamRuntimeConfig, StreamRuntime, TransactionCoordinator } from '@sluice/stream';
import { uniqueName } from '@sluice/test-support';
import { eventually, kafkaConfig, StreamHarness } from './stream-harness';

const RECORDS = 10;
const ZOMBIE_DID = 5;

describe('stream runtime: exactly-once with a previous owner that commits late', () => {
  const h = new StreamHarness();
  before(() => h.connect());
  after(() => h.close());

  it('a commit the previous owner makes after the partition was assigned here is not processed again', async () => {
    const input = await h.topic('it.stream.zombie.in', 1);
    const output = await h.topic('it.stream.zombie.out', 1);
    const group = uniqueName('it.stream.zombie');
    const runtime = new StreamRuntime({
      kafka: kafkaConfig,
      config: parseStreamRuntimeConfig({
        group,
        topics: [input],
        delivery: 'exactly-once',
        fromBeginning: true,
      }),
      processor: {
        name: 'Copy',
        process: (record) => Promise.resolve([{ topic: output, key: record.key, value: record.value }]),
      },
      metrics: false,
    });
    let failure: unknown;
    runtime.done.catch((error: unknown) => (failure = error));
    const zombie = new TransactionCoordinator(h.kafka, group, { topic: input, partition: 0 }, 60_000);
    try {
      // Assigned here while the partition is empty: kafkajs reads the group's offset (none: the
      // beginning) at its first fetch, right after the join, and fetches from there from then on.
      await runtime.start();
      await eventually(() => runtime.membership() === 'member', 30_000, 'the runtime in its group');
      await new Promise((r) => setTimeout(r, 2_000));
      runtime.pause();
      await h.produce(
        input,
        Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
      );
      // The previous owner, still alive, commits what it did of the first records: outputs and
      // the group's offset in one transaction, as the runtime's own partition producer does.
      await zombie.begin();
      await zombie.send([
        {
          topic: output,
          messages: Array.from({ length: ZOMBIE_DID }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
        },
      ]);
      await zombie.commitOffsets(BigInt(ZOMBIE_DID));
      await zombie.commit();
      runtime.resume();
      await h.untilConsumed(group, input, 60_000);
    } finally {
      await zombie.close();
      await runtime.stop().catch(() => undefined);
    }
    assert.equal(failure, undefined, `the runtime failed: ${String(failure)}`);
    const values = (await h.readAll(output)).map((r) => r.value?.toString());
    assert.deepEqual(
      values,
      Array.from({ length: RECORDS }, (_, i) => `v${i}`),
      'every input record once: the previous owner did the first five, this one the rest',
    );
  });
});
