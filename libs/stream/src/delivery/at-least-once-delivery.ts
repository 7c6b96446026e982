import { type Kafka, type Producer } from 'kafkajs';
import { createProducer } from '@sluice/kafka';
import { type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import { type OutputRecord } from '../processor/stream-record';
import { OutputBatch } from './output-batch';
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
  private readonly batch = new OutputBatch();
  /** Produce requests run one after another, so outputs keep their order. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly tp: TopicPartition,
    private readonly producer: Producer,
    private readonly commit: GroupOffsetCommitter,
    private readonly maxBatchRecords: number,
  ) {}

  async begin(): Promise<void> {
    // A failed produce poisons the chain for the batch it belonged to only.
    this.flushing = Promise.resolve();
  }

  async send(records: readonly OutputRecord[]): Promise<void> {
    for (const record of records) this.batch.add(record);
    if (this.batch.size >= this.maxBatchRecords) await this.flush();
  }

  async deadLetter(record: DeadLetterRecord, partition: number): Promise<void> {
    this.batch.addDeadLetter(record, partition);
    if (this.batch.size >= this.maxBatchRecords) await this.flush();
  }

  async checkpoint(nextOffset: bigint): Promise<void> {
    await this.flush();
    await this.commit(this.tp, nextOffset);
  }

  async abort(): Promise<void> {
    this.batch.take();
    await this.flushing.catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.abort();
  }

  private flush(): Promise<void> {
    const topicMessages = this.batch.take();
    if (topicMessages.length > 0) {
      this.flushing = this.flushing.then(async () => {
        await this.producer.sendBatch({ topicMessages, acks: -1 });
      });
    }
    return this.flushing;
  }
}
