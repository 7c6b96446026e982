import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaJSNonRetriableError, KafkaJSProtocolError, type Producer, type ProducerBatch } from 'kafkajs';
import { isRetriable } from '@sluice/errors';
import { Lsn } from '../lsn/lsn';
import { AcknowledgementWindow } from '../offsets/acknowledgement-window';
import { ChangeEventPublisher, isFenced, SourceFencedError } from './change-event-publisher';

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
      sendTimeoutMs: 30_000,
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

describe('ChangeEventPublisher under a send that never settles', () => {
  it('fails after sendTimeoutMs with a retriable error, never confirming the stuck events', async () => {
    // What kafkajs was seen to do after a broker crash: a sendBatch whose promise never settles.
    const producer = { sendBatch: () => new Promise(() => undefined) } as unknown as Producer;
    const window = new AcknowledgementWindow();
    const confirmed: Lsn[] = [];
    const acknowledged: number[] = [];
    const publisher = new ChangeEventPublisher(producer, window, {
      maxBatchRecords: 1000,
      maxBatchBytes: 900_000,
      lingerMs: 0,
      maxPendingEvents: 10_000,
      sendTimeoutMs: 50,
      onConfirmable: (lsn) => confirmed.push(lsn),
      onAcknowledged: (n) => acknowledged.push(n),
    });
    const tx = window.open();
    await publisher.publish({ topic: 't', key: Buffer.from('k'), value: Buffer.from('v') }, tx);
    publisher.close(tx, Lsn.parse('0/10'));
    await assert.rejects(publisher.flush(), (error: unknown) => {
      assert.ok(isRetriable(error), 'the source retries it');
      assert.match(
        (error as Error).message,
        /sending 1 change events to Kafka did not complete within 50 ms/,
      );
      return true;
    });
    await assert.rejects(
      publisher.publish({ topic: 't', key: null, value: null }, window.open()),
      /did not complete within 50 ms/,
      'a failed publisher takes no more events',
    );
    assert.deepEqual(confirmed, []);
    assert.deepEqual(acknowledged, []);
    assert.equal(publisher.pending, 1);
  });
});

describe('ChangeEventPublisher exactly once, fenced by another process', () => {
  it('fails with SourceFencedError (not retriable, naming the transactional id) through kafkajs wrapping', async () => {
    // What kafkajs throws from a transactional send after another producer took over the id: the
    // broker's protocol error, wrapped by its retrier in a KafkaJSNonRetriableError (no `type`).
    const protocolError = new KafkaJSProtocolError({
      type: 'INVALID_PRODUCER_EPOCH',
      code: 47,
      retriable: false,
      message: 'Producer attempted an operation with an old epoch',
    } as unknown as Error);
    // kafkajs's retrier: reject(new KafkaJSNonRetriableError(e, { cause: e.cause || e })).
    const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error;
    const fencedWithCause = new NonRetriable(protocolError, { cause: protocolError });
    const transaction = {
      sendBatch: () => Promise.reject(fencedWithCause),
      commit: () => Promise.resolve(),
      abort: () => Promise.resolve(),
    };
    const producer = { transaction: async () => transaction } as unknown as Producer;
    const window = new AcknowledgementWindow();
    const confirmed: Lsn[] = [];
    const publisher = new ChangeEventPublisher(producer, window, {
      maxBatchRecords: 1000,
      maxBatchBytes: 900_000,
      lingerMs: 0,
      maxPendingEvents: 10_000,
      sendTimeoutMs: 5000,
      onConfirmable: (lsn) => confirmed.push(lsn),
      exactlyOnce: {
        offsetRecord: () => ({ topic: 'p.offsets', messages: [] }),
        commitIntervalMs: 0,
        transactionTimeoutMs: 60_000,
        transactionalId: 'sluice-source-postgres.p.slot',
      },
    });
    const tx = window.open();
    await publisher.publish({ topic: 't', key: Buffer.from('k'), value: Buffer.from('v') }, tx);
    publisher.close(tx, Lsn.parse('0/10'));
    await assert.rejects(publisher.flush(), (error: unknown) => {
      assert.ok(error instanceof SourceFencedError, String(error));
      assert.equal(isRetriable(error), false, 'a fenced source stops: retrying would fence the other back');
      assert.match(
        (error as Error).message,
        /took over its transactional id sluice-source-postgres\.p\.slot/,
      );
      return true;
    });
    assert.deepEqual(confirmed, []);
    assert.ok(isFenced(fencedWithCause));
    assert.equal(isFenced(new KafkaJSNonRetriableError(new Error('other'))), false);
  });
});
