import { type Kafka } from 'kafkajs';
import { type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import { type OutputRecord } from '../processor/stream-record';
import { OrderedOutputSender, type OutputLimits } from './ordered-output-sender';
import { type DeliveryStrategy, type PartitionDelivery, type TopicPartition } from './partition-delivery';
import { TransactionCoordinator } from './transaction-coordinator';

/**
 * Exactly-once: each fetched batch of a partition is one Kafka transaction holding its outputs,
 * its dead letters and the group's next offset (TransactionCoordinator). A consumer downstream that reads
 * committed sees each output once, whatever crashes or rebalances happen: an unfinished batch's
 * transaction is aborted (by us, by the broker's timeout, or by the next owner's producer).
 */
export class ExactlyOnceDelivery implements DeliveryStrategy {
  readonly name = 'exactly-once';

  constructor(
    private readonly kafka: Kafka,
    private readonly group: string,
    private readonly maxBatchRecords: number,
    private readonly transactionTimeoutMs: number,
    private readonly limits: OutputLimits = {},
  ) {}

  async start(): Promise<void> {}

  forPartition(tp: TopicPartition): PartitionDelivery {
    const coordinator = new TransactionCoordinator(this.kafka, this.group, tp, this.transactionTimeoutMs);
    return new ExactlyOncePartition(coordinator, this.maxBatchRecords, this.limits);
  }

  async stop(): Promise<void> {}
}

class ExactlyOncePartition implements PartitionDelivery {
  private readonly outputs: OrderedOutputSender;

  constructor(
    private readonly coordinator: TransactionCoordinator,
    maxBatchRecords: number,
    limits: OutputLimits,
  ) {
    this.outputs = new OrderedOutputSender(
      (topicMessages) => coordinator.send(topicMessages),
      maxBatchRecords,
      limits,
    );
  }

  fence(): Promise<void> {
    return this.coordinator.fence();
  }

  async begin(): Promise<void> {
    this.outputs.reset();
    await this.coordinator.begin();
  }

  send(records: readonly OutputRecord[]): Promise<void> {
    return this.outputs.add(records);
  }

  deadLetter(record: DeadLetterRecord, partition: number): Promise<void> {
    return this.outputs.addDeadLetter(record, partition);
  }

  /**
   * The batch's last outputs and its offsets go at once (Produce and TxnOffsetCommit, to different
   * coordinators of one transaction); both settle before EndTxn, so a failure of either aborts both.
   */
  async checkpoint(nextOffset: bigint): Promise<void> {
    const [flushed, offsets] = await Promise.allSettled([
      this.outputs.flush(),
      this.coordinator.commitOffsets(nextOffset),
    ]);
    if (flushed.status === 'rejected') throw flushed.reason;
    if (offsets.status === 'rejected') throw offsets.reason;
    await this.coordinator.commit();
  }

  async abort(): Promise<void> {
    await this.outputs.discard();
    await this.coordinator.abort();
  }

  async close(): Promise<void> {
    await this.abort();
    await this.coordinator.close();
  }
}
