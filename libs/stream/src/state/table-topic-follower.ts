import { randomUUID } from 'node:crypto';
import { type Admin, type Consumer, type Kafka } from 'kafkajs';
import { RetriableError } from '@sluice/errors';
import { createConsumer } from '@sluice/kafka';

/** One record of a followed table topic, as read committed. */
export interface TableTopicRecord {
  readonly partition: number;
  readonly offset: bigint;
  /** Kafka record timestamp, epoch milliseconds. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/**
 * Follows every partition of a table topic (a compacted or CDC topic a `join` keeps) from its
 * beginning, read committed, and hands its records to `apply` in offset order per partition, for as
 * long as it runs. `catchUp` waits until everything the topic held when it was called was applied:
 * how a caller reads the table up to date before a record runs. Like ChangelogReader, a consumer of a
 * group of its own (a unique id, never committing), since kafkajs has no `assign()`.
 */
export class TableTopicFollower {
  private consumer: Consumer | undefined;
  /** Next offset to apply, per partition. */
  private readonly positions = new Map<number, bigint>();
  private readonly waiters = new Set<{ check: () => boolean; resolve: () => void }>();
  private failure: unknown;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    readonly topic: string,
    private readonly apply: (record: TableTopicRecord) => Promise<void> | void,
  ) {}

  /** Starts following; resolves once the consumer runs (not once caught up: see `catchUp`). */
  async start(): Promise<void> {
    if (this.consumer) return;
    for (const p of await this.admin.fetchTopicOffsets(this.topic))
      this.positions.set(p.partition, BigInt(p.low));
    const consumer = createConsumer(this.kafka, {
      groupId: `${this.topic}.table-${randomUUID()}`,
      fetchMaxWaitMs: 100,
    });
    this.consumer = consumer;
    // Also after batches of transaction markers only, which reach no eachBatch.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { partition, lastOffset } = event.payload;
      if (lastOffset !== null && lastOffset !== undefined) this.advance(partition, BigInt(lastOffset) + 1n);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) {
        this.failure = event.payload.error;
        this.wake();
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const position = this.positions.get(batch.partition) ?? 0n;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset < position) continue;
          await this.apply({
            partition: batch.partition,
            offset,
            timestamp: Number(m.timestamp),
            key: m.key,
            value: m.value,
          });
          this.advance(batch.partition, offset + 1n);
        }
        this.advance(batch.partition, BigInt(batch.lastOffset()) + 1n);
      },
    });
  }

  /** The partitions of the topic (known once started). */
  partitions(): number[] {
    return [...this.positions.keys()].sort((a, b) => a - b);
  }

  /**
   * Resolves once every record the topic's partitions (`partitions`, default all) held when called is
   * applied. Throws a RetriableError when that takes longer than `timeoutMs` (an open transaction on
   * the table topic, a broker away) and the follower's failure if its consumer crashed.
   */
  async catchUp(timeoutMs: number, partitions?: readonly number[]): Promise<void> {
    if (this.failure) throw this.failure;
    const ends = await this.admin.fetchTopicOffsets(this.topic);
    const targets = ends
      .filter((e) => partitions === undefined || partitions.includes(e.partition))
      .map((e) => ({ partition: e.partition, end: BigInt(e.high) }));
    const check = (): boolean =>
      this.failure !== undefined || targets.every((t) => (this.positions.get(t.partition) ?? 0n) >= t.end);
    if (check()) return;
    let timer: NodeJS.Timeout | undefined;
    let waiter: { check: () => boolean; resolve: () => void } | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        waiter = { check, resolve };
        this.waiters.add(waiter);
        timer = setTimeout(
          () =>
            reject(
              new RetriableError(
                `table topic ${this.topic} was not read to its end within ${timeoutMs} ms (an open transaction on it, or Kafka slow)`,
                { code: 'TABLE_BEHIND' },
              ),
            ),
          timeoutMs,
        );
      });
    } finally {
      clearTimeout(timer);
      if (waiter) this.waiters.delete(waiter);
    }
    if (this.failure) throw this.failure;
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => undefined);
  }

  private advance(partition: number, next: bigint): void {
    if (next <= (this.positions.get(partition) ?? 0n)) return;
    this.positions.set(partition, next);
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters) if (w.check()) w.resolve();
  }
}
