import { type Kafka, type Producer } from 'kafkajs';
import { createProducer } from '@sluice/kafka';
import { type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import { type OutputRecord } from '../processor/stream-record';
import { OrderedOutputSender } from './ordered-output-sender';
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
 */
export class AtLeastOnceDelivery implements DeliveryStrategy {
  readonly name = 'at-least-once';
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly commit: GroupOffsetCommitter,
    private readonly maxBatchRecords: number,
  ) {}

  async start(): Promise<void> {
    this.producer = createProducer(this.kafka);
    await this.producer.connect();
  }

  forPartition(tp: TopicPartition): PartitionDelivery {
    if (!this.producer) throw new Error('AtLeastOnceDelivery.start() must be called first');
    return new AtLeastOncePartition(tp, this.producer, this.commit, this.maxBatchRecords);
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
    producer: Producer,
    private readonly commit: GroupOffsetCommitter,
    maxBatchRecords: number,
  ) {
    this.outputs = new OrderedOutputSender(async (topicMessages) => {
      await producer.sendBatch({ topicMessages, acks: -1 });
    }, maxBatchRecords);
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
