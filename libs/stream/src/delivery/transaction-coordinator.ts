import { type Kafka, type Producer, type TopicMessages, type Transaction } from 'kafkajs';
import { createProducer, dropProducer } from '@sluice/kafka';
import { type TopicPartition } from './partition-delivery';

/**
 * The transactional producer of one input partition. Its id is stable (`<group>-<topic>-<partition>`):
 * kafkajs has no KIP-447, so zombie fencing rests on the next owner of the partition initialising
 * the same id, which aborts the old owner's open transaction and fences its producer.
 *
 * After any failure inside a transaction the producer is dropped and a new one made at the next
 * `begin` (kafkajs#1416: a producer can stay stuck in a bad transaction state after a broker error);
 * the new one's initialisation aborts whatever the old one left open.
 */
export class TransactionCoordinator {
  private producer: Producer | undefined;
  private transaction: Transaction | undefined;

  constructor(
    private readonly kafka: Kafka,
    readonly transactionalId: string,
    private readonly transactionTimeoutMs: number,
  ) {}

  static idFor(group: string, tp: TopicPartition): string {
    return `${group}-${tp.topic}-${tp.partition}`;
  }

  get inTransaction(): boolean {
    return this.transaction !== undefined;
  }

  async begin(): Promise<void> {
    if (this.transaction) throw new Error(`transaction of ${this.transactionalId} is already open`);
    await this.guard(async () => {
      if (!this.producer) {
        const producer = createProducer(this.kafka, {
          transactionalId: this.transactionalId,
          transactionTimeoutMs: this.transactionTimeoutMs,
        });
        await producer.connect();
        this.producer = producer;
      }
      this.transaction = await this.producer.transaction();
    });
  }

  async send(topicMessages: TopicMessages[]): Promise<void> {
    const transaction = this.open();
    await this.guard(() => transaction.sendBatch({ topicMessages, acks: -1 }));
  }

  /** Adds the group's next offset to the transaction and commits it. */
  async commit(group: string, tp: TopicPartition, nextOffset: bigint): Promise<void> {
    const transaction = this.open();
    await this.guard(async () => {
      await transaction.sendOffsets({
        consumerGroupId: group,
        topics: [{ topic: tp.topic, partitions: [{ partition: tp.partition, offset: String(nextOffset) }] }],
      });
      await transaction.commit();
    });
    this.transaction = undefined;
  }

  /** Aborts the open transaction, if any; a producer that cannot abort is replaced. */
  async abort(): Promise<void> {
    const transaction = this.transaction;
    this.transaction = undefined;
    if (!transaction) return;
    try {
      await transaction.abort();
    } catch {
      this.retireProducer();
    }
  }

  async close(): Promise<void> {
    await this.abort();
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => undefined);
  }

  private open(): Transaction {
    if (!this.transaction) throw new Error(`no open transaction for ${this.transactionalId}`);
    return this.transaction;
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.transaction = undefined;
      this.retireProducer();
      throw error;
    }
  }

  /** After a failure: the next `begin` makes a new producer, whose initialisation fences this one. */
  private retireProducer(): void {
    dropProducer(this.producer);
    this.producer = undefined;
  }
}
