import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Kafka, type ProducerBatch } from 'kafkajs';
import { AtLeastOnceDelivery } from './at-least-once-delivery';

/** A fake kafkajs client: each producer it makes records its sends; the first one's first send fails. */
function fakeKafka() {
  const producers: Array<{ sent: string[]; disconnected: boolean }> = [];
  const kafka = {
    producer: () => {
      const me = { sent: [] as string[], disconnected: false };
      const index = producers.push(me) - 1;
      let sends = 0;
      return {
        connect: async () => undefined,
        disconnect: async () => {
          me.disconnected = true;
        },
        sendBatch: async (batch: ProducerBatch) => {
          const values = batch.topicMessages!.flatMap((t) => t.messages.map((m) => String(m.value)));
          me.sent.push(...values);
          if (index === 0 && sends++ === 0) throw new Error('Connection closed');
          return [];
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, producers };
}

describe('AtLeastOnceDelivery', () => {
  it("after a partition's failed send, the next batch (another partition's) goes out on a new producer", async () => {
    const { kafka, producers } = fakeKafka();
    const commits: string[] = [];
    const delivery = new AtLeastOnceDelivery(
      kafka,
      async (tp, next) => {
        commits.push(`${tp.partition}@${next}`);
      },
      100,
    );
    await delivery.start();
    const p0 = delivery.forPartition({ topic: 'in', partition: 0 });
    const p1 = delivery.forPartition({ topic: 'in', partition: 1 });

    await p0.begin();
    await p0.send([{ topic: 'out', key: 'a', value: 'from-0' }]);
    await assert.rejects(p0.checkpoint(1n), /Connection closed/);

    await p1.begin();
    await p1.send([{ topic: 'out', key: 'b', value: 'from-1' }]);
    await p1.checkpoint(5n);

    assert.equal(producers.length, 2);
    assert.deepEqual(producers[0].sent, ['from-0']);
    assert.deepEqual(producers[1].sent, ['from-1']);
    assert.equal(producers[0].disconnected, true, 'the producer whose sequence numbers are in doubt is gone');
    assert.deepEqual(commits, ['1@5'], 'only the batch that was acknowledged is committed');
    await delivery.stop();
  });
});
