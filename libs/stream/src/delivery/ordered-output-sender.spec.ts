import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type TopicMessages } from 'kafkajs';
import { OrderedOutputSender } from './ordered-output-sender';

describe('OrderedOutputSender', () => {
  const deadLetter = (n: number) => ({
    topic: 'g.dlq',
    key: Buffer.from(`k${n}`),
    value: Buffer.from('v'),
    // A long stack trace in the Connect headers.
    headers: [{ key: '__connect.errors.exception.stacktrace', value: Buffer.alloc(200_000, 'x') }],
  });

  it('keeps each request under the byte bound, in order, however few records that is', async () => {
    const sent: TopicMessages[][] = [];
    const sender = new OrderedOutputSender(
      async (batch) => {
        sent.push(batch);
      },
      1000,
      { maxBatchBytes: 500_000 },
    );
    for (let n = 0; n < 7; n++) await sender.addDeadLetter(deadLetter(n), 0);
    await sender.flush();
    const sizes = sent.map((batch) => batch.flatMap((t) => t.messages).length);
    assert.deepEqual(sizes, [2, 2, 2, 1]);
    const keys = sent.flatMap((batch) => batch.flatMap((t) => t.messages.map((m) => String(m.key))));
    assert.deepEqual(keys, ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
  });

  it('sends a record larger than the bound alone', async () => {
    const sent: number[] = [];
    const sender = new OrderedOutputSender(
      async (batch) => {
        sent.push(batch.flatMap((t) => t.messages).length);
      },
      1000,
      { maxBatchBytes: 100_000 },
    );
    await sender.add([{ topic: 'out', key: null, value: Buffer.alloc(10) }]);
    await sender.add([{ topic: 'out', key: null, value: Buffer.alloc(300_000) }]);
    await sender.add([{ topic: 'out', key: null, value: Buffer.alloc(10) }]);
    await sender.flush();
    assert.deepEqual(sent, [1, 1, 1]);
  });

  it('cuts a dead letter the DLQ topic cannot hold to fit, saying what was left out', async () => {
    const sent: TopicMessages[][] = [];
    const sender = new OrderedOutputSender(
      async (batch) => {
        sent.push(batch);
      },
      1000,
      { deadLetters: { topic: 'g.dlq', maxBytes: 50_000 } },
    );
    const big = {
      topic: 'g.dlq',
      key: Buffer.from('k'),
      value: Buffer.alloc(60_000, 'v'),
      headers: [
        { key: '__connect.errors.topic', value: Buffer.from('in') },
        { key: 'trace', value: Buffer.from('t') },
      ],
    };
    await sender.addDeadLetter(big, 0);
    await sender.addDeadLetter({ ...deadLetter(1), headers: [] }, 0);
    await sender.flush();
    const [first, second] = sent.flatMap((batch) => batch.flatMap((t) => t.messages));
    assert.equal(first!.value, null);
    assert.equal(String(first!.key), 'k');
    assert.equal(String(first!.headers!['sluice.errors.omitted']), 'value (60000 bytes)');
    assert.equal(String(first!.headers!['trace']), 't', "the original's headers stay when they fit");
    assert.equal(String(second!.key), 'k1');
  });

  it('cuts only what goes to the DLQ (a changelog record of the same path never), and keeps dead letters sent together under its limit', async () => {
    const sent: TopicMessages[][] = [];
    const sender = new OrderedOutputSender(
      async (batch) => {
        sent.push(batch);
      },
      1000,
      { deadLetters: { topic: 'g.dlq', maxBytes: 10_000 } },
    );
    const changelog = {
      topic: 'g-s-changelog',
      key: Buffer.from('k'),
      value: Buffer.alloc(20_000),
      headers: [],
    };
    await sender.addDeadLetter(changelog, 0);
    const small = (n: number) => ({
      topic: 'g.dlq',
      key: Buffer.from(`d${n}`),
      value: Buffer.alloc(3_000),
      headers: [],
    });
    for (let n = 0; n < 4; n++) await sender.addDeadLetter(small(n), 0);
    await sender.flush();
    const messages = sent.flatMap((batch) =>
      batch.flatMap((t) => t.messages.map((m) => ({ topic: t.topic, m }))),
    );
    assert.equal(messages.find((x) => x.topic === 'g-s-changelog')!.m.value!.length, 20_000, 'not cut');
    const dlqPerRequest = sent.map((batch) =>
      batch
        .filter((t) => t.topic === 'g.dlq')
        .flatMap((t) => t.messages)
        .reduce((sum, m) => sum + (m.value as Buffer).length, 0),
    );
    assert.ok(
      dlqPerRequest.every((bytes) => bytes <= 7_500),
      `DLQ bytes per request: ${dlqPerRequest.join(', ')}`,
    );
    assert.equal(messages.filter((x) => x.topic === 'g.dlq').length, 4);
  });
});
