import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Kafka } from 'kafkajs';
import { type Logger } from '@sluice/observability';
import { DELIVERY_ID_HEADER, DeliveryLedger } from './delivery-ledger';

const TOPIC = 'webhooks';
const quiet = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;

interface Seek {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * The consumer surface the ledger uses, driven by the spec: a join, a batch, a crash. What kafkajs
 * does on its own (a restarted member starts an uncommitted group's partitions at the end) is the
 * integration suite's to meet; here, what the ledger tells the consumer on each join.
 */
class FakeConsumer {
  readonly events = { GROUP_JOIN: 'group-join', CRASH: 'crash' } as const;
  readonly seeks: Seek[] = [];
  private readonly listeners = new Map<string, ((event: { payload: unknown }) => void)[]>();
  private eachBatch: ((args: { batch: unknown }) => Promise<void>) | undefined;
  disconnected = false;

  on(event: string, listener: (event: { payload: unknown }) => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }
  /** Set by a case to hold the next consumers' connect until it releases it. */
  static connectGate: Promise<void> | undefined;
  ran = false;
  async connect(): Promise<void> {
    await FakeConsumer.connectGate;
  }
  async subscribe(): Promise<void> {}
  async run(options: { eachBatch: (args: { batch: unknown }) => Promise<void> }): Promise<void> {
    this.ran = true;
    this.eachBatch = options.eachBatch;
    this.join([0, 1]);
  }
  seek(seek: Seek): void {
    this.seeks.push(seek);
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  join(partitions: number[]): void {
    for (const l of this.listeners.get(this.events.GROUP_JOIN) ?? [])
      l({ payload: { memberAssignment: { [TOPIC]: partitions } } });
  }
  crash(restart: boolean): void {
    for (const l of this.listeners.get(this.events.CRASH) ?? [])
      l({ payload: { error: new Error('broker gone'), restart } });
  }
  /** Records `from`, `from + 1`, … on `partition`, each carrying one delivery id. */
  async deliver(partition: number, from: number, ids: string[]): Promise<void> {
    const messages = ids.map((id, i) => ({
      offset: String(from + i),
      timestamp: String(Date.now()),
      headers: { [DELIVERY_ID_HEADER]: Buffer.from(id) },
    }));
    await this.eachBatch!({
      batch: {
        topic: TOPIC,
        partition,
        messages,
        lastOffset: () => String(from + ids.length - 1),
      },
    });
  }
}

/** Partition 0 holds offsets 0–9, its window starting at 4; partition 1 is empty at offset 3. */
function fakeKafka(consumers: FakeConsumer[], ends: { partition: number; high: string }[]): Kafka {
  return {
    admin: () => ({
      connect: async () => {},
      disconnect: async () => {},
      fetchTopicOffsets: async () => ends.map((e) => ({ ...e, offset: e.high, low: '0' })),
      fetchTopicOffsetsByTimestamp: async () => [
        { partition: 0, offset: '4' },
        { partition: 1, offset: '-1' },
      ],
    }),
    consumer: () => {
      const consumer = new FakeConsumer();
      consumers.push(consumer);
      return consumer;
    },
  } as unknown as Kafka;
}

async function startedLedger(): Promise<{
  ledger: DeliveryLedger;
  consumers: FakeConsumer[];
  ends: { partition: number; high: string }[];
}> {
  const consumers: FakeConsumer[] = [];
  // The spec moves these on as it "writes".
  const ends = [
    { partition: 0, high: '10' },
    { partition: 1, high: '3' },
  ];
  const ledger = new DeliveryLedger(fakeKafka(consumers, ends), [TOPIC], 60_000, quiet);
  const started = ledger.start();
  await new Promise((r) => setImmediate(r));
  await consumers[0]!.deliver(0, 4, ['a', 'b', 'c', 'd', 'e', 'f']);
  await started;
  return { ledger, consumers, ends };
}

describe('DeliveryLedger', () => {
  it('starts each partition at its window (one with nothing in it at its end) and is caught up once it read to the end offsets', async () => {
    const { ledger, consumers } = await startedLedger();
    assert.deepEqual(consumers[0]!.seeks, [
      { topic: TOPIC, partition: 0, offset: '4' },
      { topic: TOPIC, partition: 1, offset: '3' },
    ]);
    assert.equal(ledger.caughtUp, true);
    assert.equal(ledger.size, 6);
    assert.equal((await ledger.claim('a', 10)).outcome, 'duplicate');
    await ledger.stop();
  });

  it('a member that joins again (kafkajs restarts a crashed consumer as a new member) goes on from what the ledger read, not from the end', async () => {
    const { ledger, consumers } = await startedLedger();
    const consumer = consumers[0]!;
    await consumer.deliver(1, 3, ['g', 'h']);
    consumer.seeks.length = 0;
    consumer.join([0, 1]);
    assert.deepEqual(consumer.seeks, [
      { topic: TOPIC, partition: 0, offset: '10' },
      { topic: TOPIC, partition: 1, offset: '5' },
    ]);
    await ledger.stop();
  });

  it('after a crash kafkajs does not restart from, a new consumer follows on from the positions read', async () => {
    const { ledger, consumers } = await startedLedger();
    consumers[0]!.crash(true);
    await new Promise((r) => setTimeout(r, 1_100));
    assert.equal(consumers.length, 1, 'a crash kafkajs restarts from needs no new consumer');
    consumers[0]!.crash(false);
    await new Promise((r) => setTimeout(r, 1_100));
    assert.equal(consumers.length, 2);
    assert.deepEqual(consumers[1]!.seeks, [
      { topic: TOPIC, partition: 0, offset: '10' },
      { topic: TOPIC, partition: 1, offset: '3' },
    ]);
    await consumers[1]!.deliver(0, 10, ['x']);
    assert.equal((await ledger.claim('x', 10)).outcome, 'duplicate');
    await ledger.stop();
    assert.equal(consumers[1]!.disconnected, true);
  });

  it('a write of unknown outcome counts as written once the ledger read its record, and as not written when it read to the end without it', async () => {
    const { ledger, consumers, ends } = await startedLedger();
    const landed = await ledger.claim('y', 10);
    const lost = await ledger.claim('z', 10);
    assert.ok(landed.outcome === 'claimed' && lost.outcome === 'claimed');
    ends[0]!.high = '11';
    landed.settle('unknown');
    lost.settle('unknown');
    // In doubt until the ledger has read to the end offsets Kafka reports after the failure.
    assert.equal((await ledger.claim('y', 20)).outcome, 'in-doubt');
    await consumers[0]!.deliver(0, 10, ['y']);
    assert.equal((await ledger.claim('y', 1_000)).outcome, 'duplicate');
    const again = await ledger.claim('z', 1_000);
    assert.equal(again.outcome, 'claimed', 'z was not written: a retry writes it');
    await ledger.stop();
  });

  it('a stop before the new consumer is made leaves none behind', async () => {
    const { ledger, consumers } = await startedLedger();
    consumers[0]!.crash(false);
    await ledger.stop();
    await new Promise((r) => setTimeout(r, 1_100));
    assert.equal(consumers.length, 1);
  });

  it('a stop while a new consumer connects leaves it disconnected, never run', async () => {
    const { ledger, consumers } = await startedLedger();
    let release!: () => void;
    FakeConsumer.connectGate = new Promise<void>((resolve) => (release = resolve));
    try {
      consumers[0]!.crash(false);
      await new Promise((r) => setTimeout(r, 1_100));
      assert.equal(consumers.length, 2, 'the new consumer is connecting');
      await ledger.stop();
      release();
      await new Promise((r) => setImmediate(r));
      assert.equal(consumers[1]!.disconnected, true);
      assert.equal(consumers[1]!.ran, false);
    } finally {
      FakeConsumer.connectGate = undefined;
    }
  });
});
