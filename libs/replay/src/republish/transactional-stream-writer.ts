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
/**
 * Bytes buffered before they are sent. The reader hands one partition's fetched batch at a time;
 * buffering past one partition's share lets a request carry every partition's share at once, so
 * there are several times fewer requests — and a transactional producer has one request in
 * flight per broker, each paying a round trip.
 */
const BUFFER_BYTES = 3 * 1024 * 1024;
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
  /** Per target partition, its buffered messages (in order) and their sizes. */
  private buffer = new Map<number, { messages: Message[]; sizes: number[] }>();
  private bufferedBytes = 0;
  private transaction: Transaction | undefined;
  private readonly steps: Array<Promise<void>> = [];
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  /**
   * Adds a message to the open transaction. Answers a promise only when requests were queued and
   * several steps are waiting (then the caller waits), so the common case costs no await.
   */
  write(message: Message): Promise<void> | undefined {
    this.throwIfFailed();
    const partition = message.partition ?? 0;
    const size = messageBytes(message);
    let queue = this.buffer.get(partition);
    if (queue === undefined) this.buffer.set(partition, (queue = { messages: [], sizes: [] }));
    queue.messages.push(message);
    queue.sizes.push(size);
    this.bufferedBytes += size;
    return this.bufferedBytes >= BUFFER_BYTES ? this.flush() : undefined;
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

  /** Sends everything buffered, in requests that each take every partition's next share. */
  private async flush(): Promise<void> {
    if (this.bufferedBytes === 0) return;
    // The buffer is cut into requests before the first await: later writes go into a fresh one.
    const requests = cutRequests(this.buffer);
    this.buffer = new Map();
    this.bufferedBytes = 0;
    for (const messages of requests) {
      this.schedule(async () => {
        const transaction = await this.open();
        await transaction.sendBatch({ topicMessages: [{ topic: this.topic, messages }], acks: -1 });
      });
    }
    await this.backpressure();
  }

  private async open(): Promise<Transaction> {
    this.transaction ??= await this.producer.transaction();
    return this.transaction;
  }

  private async enqueue(step: () => Promise<void>): Promise<void> {
    this.schedule(step);
    await this.backpressure();
  }

  /** Chains `step` after every step scheduled before it (call order is send order). */
  private schedule(step: () => Promise<void>): void {
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
  }

  /** Waits while more than MAX_QUEUED steps are queued; rethrows a failure. */
  private async backpressure(): Promise<void> {
    while (this.steps.length > MAX_QUEUED) await this.steps[0];
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

/**
 * Cuts per-partition queues into requests: each takes, from every partition, its next messages up
 * to MAX_PARTITION_BYTES and MAX_PARTITION_MESSAGES (at least one), so order per partition holds
 * across requests sent one after another.
 */
export function cutRequests(
  queues: ReadonlyMap<number, { messages: Message[]; sizes: number[] }>,
): Message[][] {
  const at = new Map([...queues.keys()].map((p) => [p, 0]));
  const requests: Message[][] = [];
  for (;;) {
    const request: Message[] = [];
    for (const [partition, { messages, sizes }] of queues) {
      let i = at.get(partition)!;
      let bytes = 0;
      const start = i;
      while (
        i < messages.length &&
        (i === start || (i - start < MAX_PARTITION_MESSAGES && bytes + sizes[i] <= MAX_PARTITION_BYTES))
      ) {
        bytes += sizes[i];
        request.push(messages[i++]);
      }
      at.set(partition, i);
    }
    if (request.length === 0) return requests;
    requests.push(request);
  }
}
