import { type Message, type Producer, type Transaction } from 'kafkajs';
import { messageBytes } from './replay-record-mapper';

/** Bytes of one partition in one produce request, below the broker's 1 MiB record-batch limit. */
const MAX_PARTITION_BYTES = 768 * 1024;
/**
 * Messages of one partition in one request: kafkajs groups a request's messages per partition by
 * copying the partition's array for each message (quadratic), so a few hundred per partition cost
 * far less CPU than thousands, while requests stay large.
 */
const MAX_PARTITION_MESSAGES = 500;
/** Steps (sends, commits) queued before `write` makes its caller wait. */
const MAX_QUEUED = 4;

export interface CheckpointRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
  readonly partition: number;
}

/**
 * Streams messages into one topic inside transactions: messages are sent as soon as a request's
 * worth is there (the reader keeps reading meanwhile), and `commit` closes the open transaction
 * with a checkpoint record sent in it. Sends and commits run one after another in call order
 * (one transaction at a time per producer); a failure aborts the open transaction and every
 * later call rethrows it.
 */
export class TransactionalStreamWriter {
  private buffer: Message[] = [];
  /** Per target partition (index), bytes and messages in the buffer. */
  private bytes: number[] = [];
  private counts: number[] = [];
  private transaction: Transaction | undefined;
  private readonly steps: Array<Promise<void>> = [];
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  /**
   * Adds a message to the open transaction. Answers a promise only when a request was queued and
   * several steps are waiting (then the caller waits), so the common case costs no await.
   */
  write(message: Message): Promise<void> | undefined {
    this.throwIfFailed();
    const partition = message.partition ?? 0;
    const size = messageBytes(message);
    const bytes = (this.bytes[partition] ?? 0) + size;
    const count = (this.counts[partition] ?? 0) + 1;
    let wait: Promise<void> | undefined;
    // flush() hands the buffer over before its first await: the message goes into a fresh one.
    if ((bytes > MAX_PARTITION_BYTES || count > MAX_PARTITION_MESSAGES) && this.buffer.length > 0) {
      wait = this.flush();
    }
    this.buffer.push(message);
    this.bytes[partition] = (this.bytes[partition] ?? 0) + size;
    this.counts[partition] = (this.counts[partition] ?? 0) + 1;
    return wait;
  }

  /**
   * Queues the end of the open transaction: what is buffered, the checkpoint, the commit;
   * `committed` runs once it is committed. Waits only when several steps are queued.
   */
  async commit(checkpoint: CheckpointRecord, committed: () => void): Promise<void> {
    this.throwIfFailed();
    await this.flush();
    await this.enqueue(async () => {
      const transaction = await this.open();
      await transaction.send({ topic: checkpoint.topic, messages: [checkpoint], acks: -1 });
      this.transaction = undefined;
      await transaction.commit();
      committed();
    });
  }

  /** Waits until every queued step is done; rethrows the first failure. */
  async drain(): Promise<void> {
    await this.tail;
    this.throwIfFailed();
  }

  /** Aborts the open transaction, if any (after a failure or an interruption without commit). */
  async abort(): Promise<void> {
    await this.tail;
    const transaction = this.transaction;
    this.transaction = undefined;
    await transaction?.abort().catch(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const messages = this.buffer;
    this.buffer = [];
    this.bytes = [];
    this.counts = [];
    await this.enqueue(async () => {
      const transaction = await this.open();
      await transaction.sendBatch({ topicMessages: [{ topic: this.topic, messages }], acks: -1 });
    });
  }

  private async open(): Promise<Transaction> {
    this.transaction ??= await this.producer.transaction();
    return this.transaction;
  }

  private async enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.tail.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await step();
      } catch (error) {
        this.failure = error;
        const transaction = this.transaction;
        this.transaction = undefined;
        await transaction?.abort().catch(() => undefined);
      }
    });
    this.tail = run;
    this.steps.push(run);
    void run.then(() => this.steps.splice(this.steps.indexOf(run), 1));
    if (this.steps.length > MAX_QUEUED) await this.steps[0];
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
