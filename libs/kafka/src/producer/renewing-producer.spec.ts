import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Producer, type ProducerBatch, type ProducerRecord, type RecordMetadata } from 'kafkajs';
import { DeadlineExceededError } from '@sluice/errors';
import {
  ProducerUnavailableError,
  RenewingProducer,
  type RenewingProducerOptions,
} from './renewing-producer';

/** A fake kafkajs producer: each send answers with the next outcome scripted for it. */
class FakeProducer {
  connected = false;
  disconnects = 0;
  readonly sent: ProducerBatch[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    readonly id: number,
    private readonly outcomes: Array<() => Promise<void>>,
    private readonly connectFailure?: Error,
    /** Stands in for kafkajs's own wait (a connect, a disconnect) when scripted: it may never settle. */
    private readonly waits: { connect?: Promise<void>; disconnect?: Promise<void> } = {},
  ) {}

  async connect(): Promise<void> {
    await this.waits.connect;
    if (this.connectFailure) throw this.connectFailure;
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.disconnects += 1;
    await this.waits.disconnect;
    this.connected = false;
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    this.sent.push(batch);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await (this.outcomes.shift() ?? (async () => undefined))();
      return [];
    } finally {
      this.inFlight -= 1;
    }
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.sendBatch({ topicMessages: [{ topic: record.topic, messages: record.messages }] });
  }
}

interface Plan {
  sends?: Array<() => Promise<void>>;
  connectFailure?: Error;
  connectWait?: Promise<void>;
  disconnectWait?: Promise<void>;
}

/** A RenewingProducer over fakes; `plans[i]` scripts the i-th producer made (connect, sends, disconnect). */
function renewing(plans: Plan[], options: Omit<RenewingProducerOptions, 'onRenewed'> = {}) {
  const made: FakeProducer[] = [];
  const causes: unknown[] = [];
  const producer = new RenewingProducer(
    () => {
      const plan = plans[made.length] ?? {};
      const fake = new FakeProducer(made.length, plan.sends ?? [], plan.connectFailure, {
        connect: plan.connectWait,
        disconnect: plan.disconnectWait,
      });
      made.push(fake);
      return fake as unknown as Producer;
    },
    { ...options, onRenewed: (cause) => causes.push(cause) },
  );
  return { producer, made, causes };
}

/** A wait that never ends, as kafkajs's can after a broker restart. */
const never = new Promise<void>(() => undefined);
/** Lets pending callbacks run (a fake's late connect, a background disconnect). */
const settle = () => new Promise((r) => setImmediate(r));

const batch = (value: string): ProducerBatch => ({ topicMessages: [{ topic: 't', messages: [{ value }] }] });
const ok = async (): Promise<void> => undefined;
const brokerGone = new Error('Connection closed');

describe('RenewingProducer', () => {
  it('keeps one producer while sends succeed', async () => {
    const { producer, made } = renewing([{ sends: [ok, ok, ok] }]);
    await producer.connect();
    for (const v of ['a', 'b', 'c']) await producer.sendBatch(batch(v));
    assert.equal(made.length, 1);
    assert.equal(made[0].sent.length, 3);
    assert.equal(producer.renewals, 0);
  });

  it('sends the batch after a failed one on a new, connected producer and disconnects the old one', async () => {
    const { producer, made, causes } = renewing([{ sends: [async () => Promise.reject(brokerGone)] }, {}]);
    await producer.connect();
    await assert.rejects(producer.sendBatch(batch('lost?')), brokerGone);
    // The failed producer is kept until the next send needs one: a failure alone connects nothing.
    assert.equal(made.length, 1);

    await producer.sendBatch(batch('next'));
    assert.equal(made.length, 2);
    assert.deepEqual(made[1].sent, [batch('next')]);
    assert.equal(made[1].connected, true);
    assert.equal(made[0].connected, false);
    assert.equal(made[0].disconnects, 1);
    assert.equal(producer.renewals, 1);
    assert.deepEqual(causes, [brokerGone]);
  });

  it('re-sends a failed batch (at-least-once) on the new producer, not on the one whose sequence numbers are in doubt', async () => {
    const { producer, made } = renewing([{ sends: [async () => Promise.reject(brokerGone)] }, {}]);
    await producer.connect();
    await producer.sendBatch(batch('x')).catch(() => undefined);
    await producer.sendBatch(batch('x'));
    assert.deepEqual(made[0].sent, [batch('x')]);
    assert.deepEqual(made[1].sent, [batch('x')]);
  });

  it('fails a send whose renewal cannot connect as unsent, and renews again at the next send', async () => {
    const kafkaAway = new Error('Connection error: ECONNREFUSED');
    const { producer, made } = renewing([
      { sends: [async () => Promise.reject(brokerGone)] },
      { connectFailure: kafkaAway },
      {},
    ]);
    await producer.connect();
    await producer.sendBatch(batch('a')).catch(() => undefined);
    await assert.rejects(producer.sendBatch(batch('b')), (e: unknown) => {
      assert.ok(e instanceof ProducerUnavailableError, 'a send whose renewal failed never went out');
      assert.equal(e.reason, 'not renewed');
      assert.equal(e.cause, kafkaAway);
      return true;
    });
    assert.equal(made[1].disconnects, 1, 'a producer that could not connect is disconnected');
    assert.equal(made[0].sent.length, 1, 'nothing more is sent on the retired producer');

    await producer.sendBatch(batch('c'));
    assert.deepEqual(made[2].sent, [batch('c')]);
    assert.equal(producer.renewals, 1);
  });

  it('renews once for a failure, not once per send queued behind it', async () => {
    let fail!: (error: Error) => void;
    const { producer, made } = renewing([
      { sends: [() => new Promise<void>((_, reject) => (fail = reject))] },
      { sends: [ok, ok] },
    ]);
    await producer.connect();
    const first = producer.sendBatch(batch('1'));
    const second = producer.sendBatch(batch('2'));
    const third = producer.sendBatch(batch('3'));
    await new Promise((r) => setImmediate(r));
    fail(brokerGone);
    await assert.rejects(first, brokerGone);
    await Promise.all([second, third]);
    assert.equal(made.length, 2);
    assert.deepEqual(made[1].sent, [batch('2'), batch('3')]);
  });

  it('sends one request at a time: a send waits until the one before it settled', async () => {
    let release!: () => void;
    const { producer, made } = renewing([{ sends: [() => new Promise<void>((r) => (release = r)), ok] }]);
    await producer.connect();
    const first = producer.sendBatch(batch('1'));
    const second = producer.sendBatch(batch('2'));
    await new Promise((r) => setImmediate(r));
    assert.equal(made[0].sent.length, 1, 'the second send has not started while the first is in flight');
    release();
    await Promise.all([first, second]);
    assert.equal(made[0].maxInFlight, 1);
    assert.equal(made[0].sent.length, 2);
  });

  it('renews after a failed send (one topic) as after a failed sendBatch', async () => {
    const { producer, made } = renewing([{ sends: [async () => Promise.reject(brokerGone)] }, {}]);
    await producer.connect();
    await producer.send({ topic: 't', messages: [{ value: 'a' }] }).catch(() => undefined);
    await producer.send({ topic: 't', messages: [{ value: 'b' }] });
    assert.equal(made.length, 2);
    assert.deepEqual(made[1].sent, [batch('b')]);
  });

  it('rejects sends before connect and after disconnect, and disconnects the current producer', async () => {
    const { producer, made } = renewing([{}]);
    await assert.rejects(producer.sendBatch(batch('early')), ProducerUnavailableError);
    await producer.connect();
    await producer.disconnect();
    assert.equal(made[0].connected, false);
    await assert.rejects(producer.sendBatch(batch('late')), ProducerUnavailableError);
    assert.equal(made.length, 1);
  });

  describe('nothing it waits on may hold later sends for good', () => {
    it('sends the next batch while the retired producer is still disconnecting (kafkajs waits for dead requests)', async () => {
      const { producer, made } = renewing([
        { sends: [async () => Promise.reject(brokerGone)], disconnectWait: never },
        { sends: [ok, ok] },
      ]);
      await producer.connect();
      await producer.sendBatch(batch('a')).catch(() => undefined);
      await producer.sendBatch(batch('b'));
      await producer.sendBatch(batch('c'));
      assert.equal(made[0].disconnects, 1, 'the retired producer was told to disconnect');
      assert.deepEqual(made[1].sent, [batch('b'), batch('c')]);
    });

    it('fails a send that does not settle within deliveryTimeoutMs, outcome unknown, and sends the next on a new producer', async () => {
      const { producer, made, causes } = renewing([{ sends: [() => never] }, { sends: [ok] }], {
        deliveryTimeoutMs: 20,
      });
      await producer.connect();
      const stuck = producer.sendBatch(batch('stuck'));
      const next = producer.sendBatch(batch('next'));
      await assert.rejects(stuck, (e: unknown) => {
        assert.ok(
          e instanceof DeadlineExceededError,
          'a deadline, not ProducerUnavailableError: it went out',
        );
        assert.equal(e.timeoutMs, 20);
        return true;
      });
      await next;
      assert.deepEqual(made[1].sent, [batch('next')]);
      assert.equal(producer.renewals, 1);
      assert.ok(causes[0] instanceof DeadlineExceededError);
    });

    it('fails a renewal that does not connect within connectTimeoutMs as unsent, and disconnects that producer if it connects late', async () => {
      let connectLate!: () => void;
      const late = new Promise<void>((r) => (connectLate = r));
      const { producer, made } = renewing(
        [{ sends: [async () => Promise.reject(brokerGone)] }, { connectWait: late }, { sends: [ok] }],
        { connectTimeoutMs: 20 },
      );
      await producer.connect();
      await producer.sendBatch(batch('a')).catch(() => undefined);
      await assert.rejects(producer.sendBatch(batch('b')), (e: unknown) => {
        assert.ok(e instanceof ProducerUnavailableError);
        assert.equal(e.reason, 'not renewed');
        assert.ok(e.cause instanceof DeadlineExceededError);
        return true;
      });
      assert.equal(made[1].sent.length, 0, 'nothing is sent on a producer that was not connected in time');

      connectLate();
      await settle();
      assert.equal(made[1].disconnects, 1, 'the late producer does not linger, connected');

      await producer.sendBatch(batch('c'));
      assert.deepEqual(made[2].sent, [batch('c')]);
    });

    it('disconnect() gives up on kafkajs after connectTimeoutMs', async () => {
      const { producer } = renewing([{ disconnectWait: never }], { connectTimeoutMs: 20 });
      await producer.connect();
      await assert.rejects(producer.disconnect(), DeadlineExceededError);
      await assert.rejects(producer.sendBatch(batch('late')), ProducerUnavailableError);
    });
  });
});
