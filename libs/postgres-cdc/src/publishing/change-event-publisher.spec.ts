import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Producer, ProducerBatch } from 'kafkajs';
import { Lsn } from '../lsn/lsn';
import { AcknowledgementWindow } from '../offsets/acknowledgement-window';
import { ChangeEventPublisher } from './change-event-publisher';

describe('ChangeEventPublisher batching', () => {
  it('bounds the bytes of each partition in a request, not of the whole request', async () => {
    const requests: ProducerBatch[] = [];
    const producer = {
      sendBatch: async (batch: ProducerBatch) => {
        requests.push(batch);
        return [];
      },
    } as unknown as Producer;
    const window = new AcknowledgementWindow();
    const publisher = new ChangeEventPublisher(producer, window, {
      maxBatchRecords: 1000,
      maxBatchBytes: 1000,
      lingerMs: 1000,
      maxPendingEvents: 10_000,
      onConfirmable: () => undefined,
    });
    const tx = window.open();
    // 400-byte events over three partitions: two fit per partition (800), a third would pass 1000.
    for (let n = 0; n < 6; n++)
      await publisher.publish(
        { topic: 't', key: Buffer.alloc(100), value: Buffer.alloc(300), partition: n % 3 },
        tx,
      );
    await publisher.publish(
      { topic: 't', key: Buffer.alloc(100), value: Buffer.alloc(300), partition: 0 },
      tx,
    );
    publisher.close(tx, Lsn.parse('0/10'));
    await publisher.flush();
    const counts = requests.map((r) => r.topicMessages!.flatMap((t) => t.messages).length);
    assert.deepEqual(counts, [6, 1]);
    assert.deepEqual(
      requests[0].topicMessages![0].messages.map((m) => m.partition),
      [0, 1, 2, 0, 1, 2],
      'explicit partitions are kept',
    );
  });
});
