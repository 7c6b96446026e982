import { type Kafka } from 'kafkajs';
import { createProducer, RenewingProducer } from '@sluice/kafka';
import { type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import { type OutputRecord } from '../processor/stream-record';
import { OrderedOutputSender, type OutputLimits } from './ordered-output-sender';
import {
  type DeliveryStrategy,
  type GroupOffsetCommitter,
  type PartitionDelivery,
  type TopicPartition,
} from './partition-delivery';

/**
 * At-least-once: one idempotent producer for the whole runtime; a partition's outputs and dead
 * letters are produced in batches and its offset is committed only after every one of them was
 * acknowledged (acks=all). A crash between the two repeats the batch downstream — never loses it.
 *
 * The producer is a RenewingProducer, replaced after a failed send: kafkajs rolls its sequence
 * numbers back, and the next batch on it could be refused for ever or dropped as a duplicate. A
 * failed send usually stops the runtime (a new start makes a new producer), but one in a batch a
 * rebalance cut short does not, and other partitions' batches share the producer. The failed
 * batch's records are processed and sent again from the last commit: possibly a second copy.
 */
export class AtLeastOnceDelivery implements DeliveryStrategy {
  readonly name = 'at-least-once';
  private producer: RenewingProducer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly commit: GroupOffsetCommitter,
    private readonly maxBatchRecords: number,
    private readonly limits: OutputLimits = {},
  ) {}

  async start(): Promise<void> {
    const kafka = this.kafka;
    this.producer = new RenewingProducer(() => createProducer(kafka));
    await this.producer.connect();
  }

  forPartition(tp: TopicPartition): PartitionDelivery {
    if (!this.producer) throw new Error('AtLeastOnceDelivery.start() must be called first');
    return new AtLeastOncePartition(tp, this.producer, this.commit, this.maxBatchRecords, this.limits);
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }
}

class AtLeastOncePartition implements PartitionDelivery {
  private readonly outputs: OrderedOutputSender;

  constructor(
    private readonly tp: TopicPartition,
    producer: RenewingProducer,
    private readonly commit: GroupOffsetCommitter,
    maxBatchRecords: number,
    limits: OutputLimits,
  ) {
    this.outputs = new OrderedOutputSender(
      async (topicMessages) => {
        await producer.sendBatch({ topicMessages, acks: -1 });
      },
      maxBatchRecords,
      limits,
    );
  }

  async begin(): Promise<void> {
    this.outputs.reset();
  }

  send(records: readonly OutputRecord[]): Promise<void> {
    return this.outputs.add(records);
  }

  deadLetter(record: DeadLetterRecord, partition: number): Promise<void> {
    return this.outputs.addDeadLetter(record, partition);
  }

  async checkpoint(nextOffset: bigint): Promise<void> {
    await this.outputs.flush();
    await this.commit(this.tp, nextOffset);
  }

  abort(): Promise<void> {
    return this.outputs.discard();
  }

  close(): Promise<void> {
    return this.abort();
  }
}
