import { type TopicMessages } from 'kafkajs';
import { type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import { type OutputRecord } from '../processor/stream-record';
import { OutputBatch } from './output-batch';

/**
 * A partition's outputs and dead letters, collected into batches of at most `maxBatchRecords` and
 * sent one request after another (`send` is the producer's or the open transaction's), so they keep
 * their order. Both delivery strategies use it; they differ only in what sending and checkpointing
 * mean.
 */
export class OrderedOutputSender {
  private readonly batch = new OutputBatch();
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly sendBatch: (topicMessages: TopicMessages[]) => Promise<void>,
    private readonly maxBatchRecords: number,
  ) {}

  /** A new fetched batch starts: a failed send poisons only the batch it belonged to. */
  reset(): void {
    this.flushing = Promise.resolve();
  }

  async add(records: readonly OutputRecord[]): Promise<void> {
    for (const record of records) this.batch.add(record);
    if (this.batch.size >= this.maxBatchRecords) await this.flush();
  }

  async addDeadLetter(record: DeadLetterRecord, partition: number): Promise<void> {
    this.batch.addDeadLetter(record, partition);
    if (this.batch.size >= this.maxBatchRecords) await this.flush();
  }

  /** Sends what is collected, after every earlier send; resolves when all of them were acknowledged. */
  flush(): Promise<void> {
    const topicMessages = this.batch.take();
    if (topicMessages.length > 0) this.flushing = this.flushing.then(() => this.sendBatch(topicMessages));
    return this.flushing;
  }

  /** Drops what is collected and waits for sends under way, whatever their outcome. */
  async discard(): Promise<void> {
    this.batch.take();
    await this.flushing.catch(() => undefined);
  }
}
