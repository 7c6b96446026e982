import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Kafka } from 'kafkajs';
import { TransactionCoordinator } from './transaction-coordinator';

/**
 * A fake transactional kafkajs producer (the patched transaction), recording its requests in order.
 * As kafkajs, ending a transaction to which nothing was added sends no EndTxn (`connectedProducer`
 * begins and aborts one such to initialise the transactional id).
 */
class FakeProducer {
  disconnects = 0;
  readonly requests: string[] = [];
  /** Holds AddOffsetsToTxn until released (a slow round trip). */
  releaseJoin: () => void = () => undefined;
  constructor(
    private readonly behaviour: { sendFails?: boolean; joinFails?: boolean; holdJoin?: boolean } = {},
  ) {}
  async connect(): Promise<void> {}
  /** Never settles, as kafkajs's can after a broker restart. */
  disconnect(): Promise<void> {
    this.disconnects += 1;
    return new Promise(() => undefined);
  }
  async transaction() {
    let ongoing = false;
    const end = (result: string) => {
      if (ongoing) this.requests.push(`EndTxn ${result}`);
    };
    return {
      addOffsets: async () => {
        ongoing = true;
        if (this.behaviour.holdJoin) await new Promise<void>((resolve) => (this.releaseJoin = resolve));
        this.requests.push('AddOffsetsToTxn');
        if (this.behaviour.joinFails) throw new Error('NOT_COORDINATOR');
      },
      sendBatch: async () => {
        ongoing = true;
        this.requests.push('Produce');
        if (this.behaviour.sendFails) throw new Error('Connection closed');
      },
      commitOffsets: async ({ topics }: { topics: { partitions: { offset: string }[] }[] }) => {
        this.requests.push(`TxnOffsetCommit ${topics[0]!.partitions[0]!.offset}`);
      },
      commit: async () => end('commit'),
      abort: async () => end('abort'),
    };
  }
}

function coordinatorWith(...producers: FakeProducer[]) {
  const made: FakeProducer[] = [];
  const kafka = {
    producer: () => {
      const producer = producers[made.length] ?? new FakeProducer();
      made.push(producer);
      return producer;
    },
  } as unknown as Kafka;
  return { coordinator: new TransactionCoordinator(kafka, 'g', { topic: 't', partition: 0 }, 60_000), made };
}

const batch = [{ topic: 'out', messages: [{ value: 'a' }] }];
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('TransactionCoordinator', () => {
  it('names its producer <group>-<topic>-<partition>', () => {
    assert.equal(coordinatorWith().coordinator.transactionalId, 'g-t-0');
  });

  it('joins the group as the transaction begins and produces only after it joined', async () => {
    const slow = new FakeProducer({ holdJoin: true });
    const { coordinator } = coordinatorWith(slow);
    await coordinator.begin(); // does not wait for the join
    const sending = coordinator.send(batch);
    await tick();
    assert.deepEqual(slow.requests, [], 'no Produce while AddOffsetsToTxn is in flight');
    slow.releaseJoin();
    await sending;
    await coordinator.commitOffsets(42n);
    await coordinator.commit();
    assert.deepEqual(slow.requests, ['AddOffsetsToTxn', 'Produce', 'TxnOffsetCommit 42', 'EndTxn commit']);
    assert.equal(coordinator.inTransaction, false);
  });

  it('a failed join fails the batch with its own error and replaces the producer', async () => {
    const { coordinator, made } = coordinatorWith(new FakeProducer({ joinFails: true }));
    await coordinator.begin();
    await assert.rejects(coordinator.send(batch), /NOT_COORDINATOR/);
    assert.equal(made[0]!.disconnects, 1);
    assert.equal(coordinator.inTransaction, false);
    await coordinator.begin();
    await coordinator.send(batch);
    assert.equal(made.length, 2, 'the next transaction runs on a new producer');
    assert.deepEqual(made[1]!.requests, ['AddOffsetsToTxn', 'Produce']);
  });

  it('an abort waits for the join in flight before EndTxn', async () => {
    const slow = new FakeProducer({ holdJoin: true });
    const { coordinator } = coordinatorWith(slow);
    await coordinator.begin();
    const aborting = coordinator.abort();
    await tick();
    assert.deepEqual(slow.requests, []);
    slow.releaseJoin();
    await aborting;
    assert.deepEqual(slow.requests, ['AddOffsetsToTxn', 'EndTxn abort']);
  });

  it('replaces a producer after a failed send without waiting for its disconnect', async () => {
    const { coordinator, made } = coordinatorWith(new FakeProducer({ sendFails: true }));
    await coordinator.begin();
    await assert.rejects(coordinator.send(batch), /Connection closed/);
    assert.equal(made[0]!.disconnects, 1, 'the failed producer was told to disconnect');
    assert.equal(coordinator.inTransaction, false);
    await coordinator.begin();
    await coordinator.send(batch);
    assert.equal(made.length, 2, 'the next transaction runs on a new producer');
    assert.deepEqual(made[1]!.requests, ['AddOffsetsToTxn', 'Produce']);
  });

  it('fence connects the producer (initialising its id) once; the transactions after it run on that producer', async () => {
    const { coordinator, made } = coordinatorWith();
    await coordinator.fence();
    assert.equal(made.length, 1);
    await coordinator.fence();
    await coordinator.begin();
    await coordinator.fence(); // a transaction open: nothing to do
    await coordinator.send(batch);
    await coordinator.commitOffsets(1n);
    await coordinator.commit();
    assert.equal(made.length, 1, 'no second producer');
    assert.deepEqual(made[0]!.requests, ['AddOffsetsToTxn', 'Produce', 'TxnOffsetCommit 1', 'EndTxn commit']);
  });

  it('a fence and a begin at once share one connect', async () => {
    const { coordinator, made } = coordinatorWith();
    await Promise.all([coordinator.fence(), coordinator.begin()]);
    assert.equal(made.length, 1);
    await coordinator.send(batch);
    assert.deepEqual(made[0]!.requests, ['AddOffsetsToTxn', 'Produce']);
  });

  it('a connect that completes after close is dropped; a fence after close is refused', async () => {
    let connected!: () => void;
    const slow = new FakeProducer();
    slow.connect = () => new Promise<void>((resolve) => (connected = resolve));
    const { coordinator } = coordinatorWith(slow);
    const fencing = coordinator.fence();
    await tick();
    const closing = coordinator.close();
    await tick();
    let closed = false;
    void closing.then(() => (closed = true));
    await tick();
    assert.equal(closed, false, 'close waits for the connect under way (it initialises the id)');
    connected();
    await closing;
    await assert.rejects(fencing, /closed/);
    assert.equal(slow.disconnects, 1, 'the late producer was disconnected');
    await assert.rejects(coordinator.fence(), /closed/);
  });
});
