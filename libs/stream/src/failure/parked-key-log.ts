import { randomUUID } from 'node:crypto';
import { type Admin, type Consumer, type Kafka } from 'kafkajs';
import { createConsumer, createProducer, RenewingProducer } from '@sluice/kafka';
import { headersToMap } from '../dead-letter/record-headers';
import { type TopicPartition } from '../delivery/partition-delivery';
import { decodeParkedMarker, parkedTopicFor, releaseMarker } from './parked-key-record';
import { ParkedKeyTable } from './parked-key-table';

/**
 * Durable parked keys: reads the compacted `<group>.dlq.parked` topic from the beginning, all the
 * time, into a ParkedKeyTable (a consumer of its own group with a unique id that never commits:
 * kafkajs has no `assign()`), and writes the release tombstones of `unpark`. Park markers are not
 * written here: they travel with the dead letter (same transaction, or acknowledged before the
 * offset commit), so a key is durably parked exactly when its dead letter is.
 *
 * On assignment, `restore(tp)` waits until the log partition `tp.partition` is read up to the end
 * offset the broker reports at that moment — the previous owner finished (or was fenced) before
 * this member got the partition, so its markers are all below that offset — and returns the keys
 * parked in `tp`. Read committed, so markers of aborted transactions never count.
 */
export class ParkedKeyLog {
  readonly topic: string;
  private readonly table = new ParkedKeyTable();
  private consumer: Consumer | undefined;
  /** Renewed after a failed release: an unpark retried must not meet rolled-back sequence numbers. */
  private producer: RenewingProducer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly group: string,
  ) {
    this.topic = parkedTopicFor(group);
  }

  async start(): Promise<void> {
    const kafka = this.kafka;
    this.producer = new RenewingProducer(() => createProducer(kafka));
    await this.producer.connect();
    const consumer = createConsumer(this.kafka, { groupId: `${this.topic}.reader-${randomUUID()}` });
    this.consumer = consumer;
    // Also after batches of control records or aborted markers only, which reach no eachBatch.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { partition, lastOffset } = event.payload;
      if (lastOffset !== null) this.table.readTo(partition, BigInt(lastOffset) + 1n);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) this.table.fail(event.payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        try {
          for (const m of batch.messages) {
            const where = `${this.topic}[${batch.partition}]@${m.offset}`;
            this.table.apply(decodeParkedMarker(m.key, m.value, where));
          }
        } catch (error) {
          this.table.fail(error);
        }
      },
    });
  }

  /** The keys parked in `tp`, once the log is read up to its current end; rejects when `signal` fires. */
  async restore(
    tp: TopicPartition,
    signal: AbortSignal,
  ): Promise<Array<{ key: Buffer; failedOffset: bigint }>> {
    const offsets = await this.admin.fetchTopicOffsets(this.topic);
    const end = offsets.find((o) => o.partition === tp.partition)?.high;
    if (end !== undefined) await this.table.caughtUp(tp.partition, BigInt(end), signal);
    return this.table.parkedIn(tp);
  }

  /** Writes the release of `key` (a tombstone, acknowledged by all replicas) before it counts. */
  async release(tp: TopicPartition, key: Buffer): Promise<void> {
    const marker = releaseMarker(this.group, tp, key);
    await this.producer!.send({
      topic: marker.topic,
      acks: -1,
      messages: [
        { key: marker.key, value: null, headers: headersToMap(marker.headers), partition: tp.partition },
      ],
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
  }
}
