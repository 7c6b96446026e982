import { randomUUID } from 'node:crypto';
import { type Admin, type Kafka } from 'kafkajs';
import { createConsumer } from '@sluice/kafka';

export interface ChangelogRange {
  /** First offset to read (the partition's low watermark). */
  readonly from: bigint;
  /** The end offset when the restore began: everything below it is read. */
  readonly to: bigint;
}

/**
 * Reads one partition of a changelog topic (or of a table topic a `join` keeps) from its beginning up
 * to the end offset it has when the read begins, read committed. kafkajs has no `assign()`: the
 * reader is a consumer of a group of its own (a unique id, never committing) subscribed to the
 * topic, which pauses the other partitions and ignores what it fetched of them.
 *
 * Called after the partition's transactional producer was initialised — which aborts a previous
 * owner's open transaction — so the last stable offset reaches the end offset and the read ends.
 */
export class ChangelogReader {
  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
  ) {}

  /**
   * The range `read` would cover now (empty when from >= to): from the partition's beginning, or
   * from `after` (a standby's position) when that is further.
   */
  async range(topic: string, partition: number, after?: bigint): Promise<ChangelogRange> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    const p = offsets.find((o) => o.partition === partition);
    if (!p) throw new Error(`topic ${topic} has no partition ${partition}`);
    const low = BigInt(p.low);
    return { from: after !== undefined && after > low ? after : low, to: BigInt(p.high) };
  }

  /**
   * Hands every committed record of `topic[partition]` below `range.to` to `apply`, in offset order;
   * `onProgress` after each fetched batch. Rejects when `signal` fires, or with what `apply` or
   * `onProgress` threw.
   */
  async read(
    topic: string,
    partition: number,
    range: ChangelogRange,
    apply: (key: Buffer | null, value: Buffer | null, offset: bigint) => void,
    signal: AbortSignal,
    onProgress?: (position: bigint) => void,
  ): Promise<void> {
    if (range.from >= range.to) return;
    // A restore ends on reaching the end offset; a shorter wait notices a quiet end sooner.
    const consumer = createConsumer(this.kafka, {
      groupId: `${topic}.restore-${randomUUID()}`,
      fetchMaxWaitMs: 200,
    });
    let settle!: { resolve: () => void; reject: (e: unknown) => void };
    const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    let position = range.from;
    const advance = (next: bigint): void => {
      if (next <= position) return;
      position = next;
      onProgress?.(position);
      if (position >= range.to) settle.resolve();
    };
    // Never into kafkajs: it would fetch the batch again (past `position`, so applied by no one)
    // and the restore would wait for good. The restore fails instead, naming what it met.
    const guarded =
      (step: () => void): (() => void) =>
      () => {
        try {
          step();
        } catch (error) {
          settle.reject(error);
        }
      };
    const onAbort = (): void => settle.reject(signal.reason ?? new Error('restore aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Also after batches of transaction markers only, which reach no eachBatch.
      consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
        const { partition: p, lastOffset } = event.payload;
        if (p === partition && lastOffset !== null && lastOffset !== undefined)
          guarded(() => advance(BigInt(lastOffset) + 1n))();
      });
      consumer.on(consumer.events.CRASH, (event) => {
        if (!event.payload.restart) settle.reject(event.payload.error);
      });
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        const mine = event.payload.memberAssignment[topic] ?? [];
        const others = mine.filter((p) => p !== partition);
        if (others.length > 0) {
          try {
            consumer.pause([{ topic, partitions: others }]);
          } catch {
            // Not running yet: what is fetched of them is ignored.
          }
        }
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (batch.partition !== partition) return;
          guarded(() => {
            for (const m of batch.messages) {
              const offset = BigInt(m.offset);
              // Below `from`: a warm copy (standby) already holds it.
              if (offset < range.from) continue;
              if (offset >= range.to) break;
              apply(m.key, m.value, offset);
            }
            advance(BigInt(batch.lastOffset()) + 1n);
          })();
        },
      });
      // A range that does not start at the beginning (a standby's catch-up) skips what it has.
      if (range.from > 0n) {
        try {
          consumer.seek({ topic, partition, offset: String(range.from) });
        } catch {
          // Not seekable yet: the records below `from` are read and skipped instead.
        }
      }
      await finished;
    } finally {
      signal.removeEventListener('abort', onAbort);
      await consumer.disconnect().catch(() => undefined);
    }
  }
}
