import { type Kafka, type Producer, type TopicMessages, type Transaction } from 'kafkajs';
import { connectedProducer, dropProducer, splitOffsets, type SplitOffsetsTransaction } from '@sluice/kafka';
import { type TopicPartition } from './partition-delivery';

type OpenTransaction = Transaction & SplitOffsetsTransaction;

/**
 * The transactional producer of one input partition. Its id is stable (`<group>-<topic>-<partition>`):
 * kafkajs has no KIP-447, so zombie fencing rests on the next owner of the partition initialising
 * the same id, which aborts the old owner's open transaction and fences its producer.
 *
 * A transaction's requests, in the order they wait for each other: AddOffsetsToTxn (the group
 * joins) as it begins, while the batch's records are processed; AddPartitionsToTxn and Produce for
 * its outputs; TxnOffsetCommit beside the last Produce; EndTxn. kafkajs's `sendOffsets` would send
 * the first and the fourth one after the other at the end, two round trips more per batch.
 *
 * After any failure inside a transaction the producer is dropped and a new one made at the next
 * `begin` (kafkajs#1416: a producer can stay stuck in a bad transaction state after a broker error);
 * the new one's initialisation aborts whatever the old one left open.
 */
export class TransactionCoordinator {
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private closed = false;
  private transaction: OpenTransaction | undefined;
  /** The open transaction's AddOffsetsToTxn, sent as it began. */
  private groupJoined: Promise<void> | undefined;
  /** The stable transactional id of a partition's producer. */
  readonly transactionalId: string;

  constructor(
    private readonly kafka: Kafka,
    private readonly group: string,
    private readonly tp: TopicPartition,
    private readonly transactionTimeoutMs: number,
  ) {
    this.transactionalId = `${group}-${tp.topic}-${tp.partition}`;
  }

  get inTransaction(): boolean {
    return this.transaction !== undefined;
  }

  /**
   * Connects the producer, if it has none, initialising the transactional id: from then on no older
   * producer of the id commits (its open transaction is aborted; a commit it had under way completes
   * first). `begin` does the same when needed; with a producer (a transaction open or not) there is
   * nothing to do, and a connect under way is shared.
   */
  async fence(): Promise<void> {
    await this.connected();
  }

  /** Opens a transaction and makes the group part of it (in the background: see `send`). */
  async begin(): Promise<void> {
    if (this.transaction) throw new Error(`transaction of ${this.transactionalId} is already open`);
    const transaction = await this.guard(async () =>
      splitOffsets(await (await this.connected()).transaction()),
    );
    this.transaction = transaction;
    const joined = this.guard(() => transaction.addOffsets({ consumerGroupId: this.group }));
    joined.catch(() => undefined); // awaited by the next send, commitOffsets or abort
    this.groupJoined = joined;
  }

  /** Produces within the transaction, once the group joined it (the coordinator takes one change at a time). */
  async send(topicMessages: TopicMessages[]): Promise<void> {
    await this.groupJoined;
    const transaction = this.open();
    await this.guard(() => transaction.sendBatch({ topicMessages, acks: -1 }));
  }

  /** The group's next offset, in the transaction (TxnOffsetCommit); produce requests may be in flight. */
  async commitOffsets(nextOffset: bigint): Promise<void> {
    await this.groupJoined;
    const transaction = this.open();
    await this.guard(() =>
      transaction.commitOffsets({
        consumerGroupId: this.group,
        topics: [
          {
            topic: this.tp.topic,
            partitions: [{ partition: this.tp.partition, offset: String(nextOffset) }],
          },
        ],
      }),
    );
  }

  /** Commits the transaction (EndTxn): after its sends and `commitOffsets` settled. */
  async commit(): Promise<void> {
    const transaction = this.open();
    await this.guard(() => transaction.commit());
    this.transaction = undefined;
    this.groupJoined = undefined;
  }

  /** Aborts the open transaction, if any; a producer that cannot abort is replaced. */
  async abort(): Promise<void> {
    const transaction = this.transaction;
    const joined = this.groupJoined;
    this.transaction = undefined;
    this.groupJoined = undefined;
    if (!transaction) return;
    // EndTxn must not overtake the AddOffsetsToTxn in flight.
    await joined?.catch(() => undefined);
    try {
      await transaction.abort();
    } catch {
      this.retireProducer();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    // A connect under way still initialises the id: let it land before a next owner initialises
    // it, or it would fence that one.
    await this.connecting?.catch(() => undefined);
    await this.abort();
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => undefined);
  }

  /** The producer, connected (one connect at a time); none after `close`. */
  private connected(): Promise<Producer> {
    if (this.closed) return Promise.reject(new Error(`the producer of ${this.transactionalId} is closed`));
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= connectedProducer(this.kafka, {
      transactionalId: this.transactionalId,
      transactionTimeoutMs: this.transactionTimeoutMs,
    }).then(
      (producer) => {
        this.connecting = undefined;
        if (this.closed) {
          dropProducer(producer);
          throw new Error(`the producer of ${this.transactionalId} is closed`);
        }
        this.producer = producer;
        return producer;
      },
      (error: unknown) => {
        this.connecting = undefined;
        throw error;
      },
    );
    return this.connecting;
  }

  private open(): OpenTransaction {
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
