import { type TopicMessages } from 'kafkajs';
import {
  type DeadLetterLimit,
  type DeadLetterRecord,
  fitDeadLetter,
} from '../dead-letter/dead-letter-headers';
import { type OutputRecord, recordBytes } from '../processor/stream-record';
import { OutputBatch } from './output-batch';

/** Under Kafka's default max.message.bytes (1 MiB), with room for the request's own framing. */
const DEFAULT_MAX_BATCH_BYTES = 768 * 1024;

export interface OutputLimits {
  /** About this many key, value and header bytes per produce request. Default 768 KiB. */
  readonly maxBatchBytes?: number;
  /**
   * The group's DLQ and its max.message.bytes: a dead letter larger than it holds is cut to fit
   * (`fitDeadLetter`), and dead letters sent together stay under it. Only records bound for that
   * topic: the same path carries changelog records and parked-key markers, which are never cut.
   */
  readonly deadLetters?: DeadLetterLimit;
}

/** Dead letters of one request go to one DLQ partition as one record batch: this share of its limit, for Kafka's per-record framing. */
const DEAD_LETTER_BATCH_SHARE = 0.75;

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
  private readonly deadLetters: DeadLetterLimit | undefined;
  /** Dead-letter bytes in the batch collected. */
  private deadLetterBytes = 0;

  constructor(
    private readonly sendBatch: (topicMessages: TopicMessages[]) => Promise<void>,
    private readonly maxBatchRecords: number,
    limits: OutputLimits = {},
  ) {
    this.maxBatchBytes = limits.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.deadLetters = limits.deadLetters;
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
    const dlq = this.deadLetters;
    if (dlq === undefined || letter.topic !== dlq.topic) {
      if (this.wouldOverflow(letter)) await this.flush();
      this.batch.addDeadLetter(letter, partition);
    } else {
      const record = fitDeadLetter(letter, dlq.maxBytes);
      const bytes = recordBytes(record);
      const dlqFull =
        this.deadLetterBytes > 0 && this.deadLetterBytes + bytes > dlq.maxBytes * DEAD_LETTER_BATCH_SHARE;
      if (dlqFull || this.wouldOverflow(record)) await this.flush();
      this.batch.addDeadLetter(record, partition);
      this.deadLetterBytes += bytes;
    }
    if (this.full) await this.flush();
  }

  /** Adding `record` would pass the byte bound: the collected ones go first (a lone record goes alone). */
  private wouldOverflow(record: OutputRecord | DeadLetterRecord): boolean {
    return this.batch.size > 0 && this.batch.bytes + recordBytes(record) > this.maxBatchBytes;
  }

  private get full(): boolean {
    return this.batch.size >= this.maxBatchRecords || this.batch.bytes >= this.maxBatchBytes;
  }

  /** Sends what is collected, after every earlier send; resolves when all of them were acknowledged. */
  flush(): Promise<void> {
    const topicMessages = this.batch.take();
    this.deadLetterBytes = 0;
    if (topicMessages.length > 0) this.flushing = this.flushing.then(() => this.sendBatch(topicMessages));
    return this.flushing;
  }

  /** Drops what is collected and waits for sends under way, whatever their outcome. */
  async discard(): Promise<void> {
    this.batch.take();
    this.deadLetterBytes = 0;
    await this.flushing.catch(() => undefined);
  }
}
