import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Producer, type ProducerBatch } from 'kafkajs';
import { BatchedPublisher } from './batched-publisher';

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

describe('BatchedPublisher', () => {
  it('sends what arrived during a request as the next one, each within the byte bound', async () => {
    const { producer, requests, release } = recordingProducer();
    const publisher = new BatchedPublisher(() => producer, 500, 1000);
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
    const publisher = new BatchedPublisher(() => producer, 500, 1000);
    const big = publisher.publish('t', { value: Buffer.alloc(5000) }).written;
    const waiting = publisher.publish('t', { value: Buffer.alloc(1) });
    assert.equal(waiting.withdraw(), true);
    await assert.rejects(waiting.written, /withdrawn/);
    release();
    await big;
    assert.deepEqual(requests, [[5000]]);
  });
});
