import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Producer, type ProducerBatch, type ProducerRecord, type RecordMetadata } from 'kafkajs';
import { ProducerUnavailableError, RenewingProducer } from './renewing-producer';

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
  ) {}

  async connect(): Promise<void> {
    if (this.connectFailure) throw this.connectFailure;
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    this.disconnects += 1;
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

/** A RenewingProducer over fakes; `plans[i]` scripts the i-th producer made (connect failure, send outcomes). */
function renewing(plans: Array<{ sends?: Array<() => Promise<void>>; connectFailure?: Error }>) {
  const made: FakeProducer[] = [];
  const causes: unknown[] = [];
  const producer = new RenewingProducer(
    () => {
      const plan = plans[made.length] ?? {};
      const fake = new FakeProducer(made.length, plan.sends ?? [], plan.connectFailure);
      made.push(fake);
      return fake as unknown as Producer;
    },
    { onRenewed: (cause) => causes.push(cause) },
  );
  return { producer, made, causes };
}

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
});
