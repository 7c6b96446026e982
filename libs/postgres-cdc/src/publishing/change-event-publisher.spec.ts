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

describe('ChangeEventPublisher exactly once: the offsets record', () => {
  const L10 = Lsn.parse('0/10');
  const L20 = Lsn.parse('0/20');
  const L30 = Lsn.parse('0/30');
  /** A transactional producer that records each request of its transactions. */
  function recordingProducer() {
    const requests: string[] = [];
    let held: Promise<void> | undefined;
    const transaction = {
      sendBatch: async (batch: ProducerBatch) => {
        await held;
        requests.push(
          `send ${batch
            .topicMessages!.map((t) => `${t.topic}:${t.messages.map((m) => String(m.value)).join(',')}`)
            .join(' ')}`,
        );
        return [];
      },
      commit: async () => void requests.push('commit'),
      abort: async () => void requests.push('abort'),
    };
    return {
      requests,
      producer: { transaction: async () => transaction } as unknown as Producer,
      /** Holds every send until the returned function is called. */
      hold: () => {
        let release!: () => void;
        held = new Promise((resolve) => (release = resolve));
        return release;
      },
    };
  }
  const publisherOf = (
    producer: Producer,
    window: AcknowledgementWindow,
    confirmed: Lsn[],
    commitIntervalMs = 0,
  ) =>
    new ChangeEventPublisher(producer, window, {
      maxBatchRecords: 1000,
      maxBatchBytes: 900_000,
      lingerMs: 5,
      maxPendingEvents: 10_000,
      sendTimeoutMs: 5000,
      onConfirmable: (lsn) => confirmed.push(lsn),
      exactlyOnce: {
        offsetRecord: (lsn) => ({ topic: 'p.offsets', messages: [{ key: 'k', value: lsn.toString() }] }),
        commitIntervalMs,
        transactionTimeoutMs: 60_000,
      },
    });

  it('rides in the batch that makes its position confirmable: the commit is one request', async () => {
    const { requests, producer } = recordingProducer();
    const window = new AcknowledgementWindow();
    const confirmed: Lsn[] = [];
    const publisher = publisherOf(producer, window, confirmed);
    const tx = window.open();
    await publisher.publish({ topic: 't', key: Buffer.from('k'), value: Buffer.from('a') }, tx);
    await publisher.publish({ topic: 't', key: Buffer.from('k'), value: Buffer.from('b') }, tx);
    publisher.close(tx, L10);
    await publisher.flush();
    assert.deepEqual(requests, [`send t:a,b p.offsets:${L10}`, 'commit']);
    assert.deepEqual(
      confirmed.map(String),
      [String(L10)],
      'confirmed to the slot after the commit, as recorded',
    );
  });

  it('sends a record of its own for a position that moved on while the batch was sent (a heartbeat)', async () => {
    const { requests, producer, hold } = recordingProducer();
    const window = new AcknowledgementWindow();
    const confirmed: Lsn[] = [];
    const publisher = publisherOf(producer, window, confirmed, 0);
    const tx = window.open();
    const release = hold();
    await publisher.publish({ topic: 't', key: Buffer.from('k'), value: Buffer.from('a') }, tx);
    publisher.close(tx, L10);
    await new Promise((r) => setTimeout(r, 20));
    publisher.mark(L20); // while the batch carrying L10 is in flight
    release();
    await publisher.flush();
    assert.deepEqual(requests, [`send t:a p.offsets:${L10}`, `send p.offsets:${L20}`, 'commit']);
    assert.deepEqual(confirmed.map(String), [String(L20)]);
  });

  it('records each position once over several batches of one Kafka transaction', async () => {
    const { requests, producer } = recordingProducer();
    const window = new AcknowledgementWindow();
    const confirmed: Lsn[] = [];
    // The first commit goes at once; the interval then keeps the next two transactions in one.
    const publisher = publisherOf(producer, window, confirmed, 60_000);
    const linger = () => new Promise((r) => setTimeout(r, 30));
    for (const [value, end] of [
      ['a', L10],
      ['b', L20],
      ['c', L30],
    ] as const) {
      const tx = window.open();
      await publisher.publish({ topic: 't', key: Buffer.from('k'), value: Buffer.from(value) }, tx);
      publisher.close(tx, end);
      await linger();
    }
    await publisher.flush();
    assert.deepEqual(requests, [
      `send t:a p.offsets:${L10}`,
      'commit',
      `send t:b p.offsets:${L20}`,
      `send t:c p.offsets:${L30}`,
      'commit',
    ]);
    assert.deepEqual(confirmed.map(String), [String(L10), String(L30)]);
  });
});
