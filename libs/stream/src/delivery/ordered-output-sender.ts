import { type TopicMessages } from 'kafkajs';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from '@sluice/kafka';
import { type DeadLetterRecord, fitDeadLetter } from '../dead-letter/dead-letter-headers';
import { type OutputRecord } from '../processor/stream-record';
import { OutputBatch } from './output-batch';

/** Under Kafka's default max.message.bytes (1 MiB), with room for the request's own framing. */
const DEFAULT_MAX_BATCH_BYTES = 768 * 1024;

export interface OutputLimits {
  /** About this many key, value and header bytes per produce request. Default 768 KiB. */
  readonly maxBatchBytes?: number;
  /** The DLQ topic's max.message.bytes: a larger dead letter is cut to fit (`fitDeadLetter`). */
  readonly deadLetterMaxBytes?: number;
}

/**
 * A partition's outputs and dead letters, collected into batches of at most `maxBatchRecords` and
 * about `maxBatchBytes` (a dead letter carries its stack trace in headers: a count alone can pass
 * the broker's 1 MiB limit) and sent one request after another (`send` is the producer's or the open transaction's), so they keep
 * their order. Both delivery strategies use it; they differ only in what sending and checkpointing
 * mean.
 */
export class OrderedOutputSender {
  private readonly batch = new OutputBatch();
  private flushing: Promise<void> = Promise.resolve();
  private readonly maxBatchBytes: number;
  private readonly deadLetterMaxBytes: number;

  constructor(
    private readonly sendBatch: (topicMessages: TopicMessages[]) => Promise<void>,
    private readonly maxBatchRecords: number,
    limits: OutputLimits = {},
  ) {
    this.maxBatchBytes = limits.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.deadLetterMaxBytes = limits.deadLetterMaxBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** A new fetched batch starts: a failed send poisons only the batch it belonged to. */
  reset(): void {
    this.flushing = Promise.resolve();
  }

  async add(records: readonly OutputRecord[]): Promise<void> {
    for (const record of records) {
      if (this.wouldOverflow(record)) await this.flush();
      this.batch.add(record);
    }
    if (this.full) await this.flush();
  }

  async addDeadLetter(letter: DeadLetterRecord, partition: number): Promise<void> {
    const record = fitDeadLetter(letter, this.deadLetterMaxBytes);
    if (this.wouldOverflow(record)) await this.flush();
    this.batch.addDeadLetter(record, partition);
    if (this.full) await this.flush();
  }

  /** Adding `record` would pass the byte bound: the collected ones go first (a lone record goes alone). */
  private wouldOverflow(record: OutputRecord | DeadLetterRecord): boolean {
    return this.batch.size > 0 && this.batch.bytes + OutputBatch.bytesOf(record) > this.maxBatchBytes;
  }

  private get full(): boolean {
    return this.batch.size >= this.maxBatchRecords || this.batch.bytes >= this.maxBatchBytes;
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
