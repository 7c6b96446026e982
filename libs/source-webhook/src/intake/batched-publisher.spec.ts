import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Producer, type ProducerBatch } from 'kafkajs';
import { RenewingProducer } from '@sluice/kafka';
import { BatchedPublisher, PublishOutcomeUnknownError, RecordNotSentError } from './batched-publisher';

/** A producer that records each request and answers when told to. */
function recordingProducer() {
  const requests: number[][] = [];
  let release: (() => void) | undefined;
  const producer = {
    sendBatch: (batch: ProducerBatch) => {
      requests.push(batch.topicMessages!.flatMap((t) => t.messages.map((m) => (m.value as Buffer).length)));
      return new Promise((resolve) => (release = () => resolve([])));
    },
  } as unknown as Producer;
  return { producer, requests, release: () => release?.() };
}

/** The same producer for ever (no failure in these cases, so no renewal). */
function fixed(producer: Producer) {
  return () => producer;
}

/** A kafkajs producer stand-in: connects unless Kafka is away, each send as `send` answers. */
function fakeProducer(send: () => Promise<unknown>, connect: () => Promise<void> = async () => undefined) {
  return { connect, disconnect: async () => undefined, sendBatch: send } as unknown as Producer;
}

describe('BatchedPublisher', () => {
  it('sends what arrived during a request as the next one, each within the byte bound', async () => {
    const { producer, requests, release } = recordingProducer();
    const publisher = new BatchedPublisher(fixed(producer), 500, 1000);
    const first = publisher.publish('t', { value: Buffer.alloc(10) }).written;
    // Six records of 300 bytes arrive while the first request is out: 1000 bytes hold three.
    const rest = Array.from(
      { length: 6 },
      () => publisher.publish('t', { value: Buffer.alloc(300) }).written,
    );
    for (let i = 0; i < 3; i++) {
      release();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([first, ...rest]);
    assert.deepEqual(requests, [[10], [300, 300, 300], [300, 300, 300]]);
  });

  it('sends a record larger than the bound alone, and withdraws one still waiting', async () => {
    const { producer, requests, release } = recordingProducer();
    const publisher = new BatchedPublisher(fixed(producer), 500, 1000);
    const big = publisher.publish('t', { value: Buffer.alloc(5000) }).written;
    const waiting = publisher.publish('t', { value: Buffer.alloc(1) });
    assert.equal(waiting.withdraw(), true);
    await assert.rejects(waiting.written, /withdrawn/);
    release();
    await big;
    assert.deepEqual(requests, [[5000]]);
  });

  it('after a failed request, its records are in doubt and the next request goes out on a renewed producer', async () => {
    const sentBy: string[] = [];
    const made = ['first', 'second'];
    const producer = new RenewingProducer(() => {
      const name = made.shift()!;
      return fakeProducer(() => {
        sentBy.push(name);
        return name === 'first' ? Promise.reject(new Error('connection closed')) : Promise.resolve([]);
      });
    });
    await producer.connect();
    const publisher = new BatchedPublisher(() => producer);
    const failed = publisher.publish('t', { value: Buffer.alloc(1) }).written;
    await assert.rejects(failed, (e: unknown) => {
      assert.ok(
        e instanceof PublishOutcomeUnknownError,
        'a request that went out and failed may have landed',
      );
      assert.match((e as Error).message, /connection closed/);
      return true;
    });
    await publisher.publish('t', { value: Buffer.alloc(1) }).written;
    assert.deepEqual(sentBy, ['first', 'second']);
    assert.equal(producer.renewals, 1);
  });

  it('while no producer can be had, queued records fail as not sent, and a later one waits for a renewal', async () => {
    let kafkaAway = false;
    let made = 0;
    const producer = new RenewingProducer(() =>
      made++ === 0
        ? fakeProducer(() => Promise.reject(new Error('broken')))
        : fakeProducer(
            () => Promise.resolve([]),
            async () => {
              if (kafkaAway) throw new Error('ECONNREFUSED');
            },
          ),
    );
    await producer.connect();
    kafkaAway = true;
    const publisher = new BatchedPublisher(() => producer, 500, 1000, 1);
    await assert.rejects(
      publisher.publish('t', { value: Buffer.alloc(1) }).written,
      PublishOutcomeUnknownError,
    );
    await assert.rejects(publisher.publish('t', { value: Buffer.alloc(1) }).written, (e: unknown) => {
      assert.ok(e instanceof RecordNotSentError, 'never sent: it cannot land later');
      assert.match(String((e as Error).cause), /ECONNREFUSED/);
      return true;
    });
    kafkaAway = false;
    await publisher.publish('t', { value: Buffer.alloc(1) }).written;
  });

  it('without a producer (the source not connected), a record fails as not sent', async () => {
    const publisher = new BatchedPublisher(() => undefined, 500, 1000, 1);
    await assert.rejects(publisher.publish('t', { value: Buffer.alloc(1) }).written, RecordNotSentError);
  });
});
