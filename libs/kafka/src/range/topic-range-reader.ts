import { randomUUID } from 'node:crypto';
import { type Admin, type Consumer, type Kafka, type KafkaMessage } from 'kafkajs';
import { createConsumer } from '../consumer/create-consumer';
import { resolveRange } from './range-resolution';
import { type KafkaRecordHeaders, type PartitionRange, type RangeRecord } from './topic-range';

export interface TopicRangeReadOptions {
  readonly topic: string;
  /** What to read of each partition, [from, to); a partition absent here is not read. */
  readonly partitions: readonly PartitionRange[];
  /**
   * Receives each partition's records in offset order, never one beyond `to`. The next batch of
   * any partition waits until it settles; a rejection stops the read and rejects `readTopicRange`.
   */
  readonly onBatch: (partition: number, records: RangeRecord[]) => Promise<void> | void;
  /** Stops the read between batches; `readTopicRange` then resolves with `complete: false`. */
  readonly signal?: AbortSignal;
  /** The throw-away consumer group's name starts with this. Default `sluice.range-reader`. */
  readonly groupIdPrefix?: string;
  /** Bytes fetched per partition per request. Default 1 MiB (kafkajs's). */
  readonly maxBytesPerPartition?: number;
}

export interface TopicRangeReadResult {
  /** True when every partition was read to its `to`. */
  readonly complete: boolean;
  /** Per partition, the offset after the last record handed to `onBatch` (`from` when none). */
  readonly positions: ReadonlyMap<number, bigint>;
}

function toRangeRecord(topic: string, partition: number, m: KafkaMessage): RangeRecord {
  return {
    topic,
    partition,
    offset: BigInt(m.offset),
    timestamp: Number(m.timestamp),
    key: m.key,
    value: m.value,
    // kafkajs decodes every header value as bytes.
    headers: (m.headers ?? {}) as KafkaRecordHeaders,
  };
}

/**
 * Reads [from, to) of some partitions of a topic once, read committed, and ends. kafkajs has no
 * `assign()`, so it uses a consumer group of its own (a unique, throw-away id): the start offsets
 * are sought when it joins, it never commits, and it is deleted at the end.
 *
 * A partition is finished when the consumer's position reaches `to`, not when offset `to - 1`
 * arrives: on a transactional topic the last offsets may be commit markers or aborted records
 * that are never handed out (the position is seen in END_BATCH_PROCESS, as for control-only
 * batches).
 */
export async function readTopicRange(
  kafka: Kafka,
  options: TopicRangeReadOptions,
): Promise<TopicRangeReadResult> {
  const { signal } = options;
  const ranges = new Map(options.partitions.map((r) => [r.partition, r]));
  const positions = new Map(options.partitions.map((r) => [r.partition, r.from]));
  const pending = new Set(options.partitions.filter((r) => r.from < r.to).map((r) => r.partition));
  if (pending.size === 0 || signal?.aborted) return { complete: pending.size === 0, positions };

  const groupId = `${options.groupIdPrefix ?? 'sluice.range-reader'}.${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  let consumer: Consumer | undefined;
  try {
    consumer = createConsumer(kafka, {
      groupId,
      ...(options.maxBytesPerPartition !== undefined && {
        maxBytesPerPartition: options.maxBytesPerPartition,
      }),
    });
    return await consume(consumer, options, ranges, positions, pending);
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await deleteGroup(admin, groupId);
    await admin.disconnect().catch(() => undefined);
  }
}

async function consume(
  consumer: Consumer,
  options: TopicRangeReadOptions,
  ranges: ReadonlyMap<number, PartitionRange>,
  positions: Map<number, bigint>,
  pending: Set<number>,
): Promise<TopicRangeReadResult> {
  const { topic, signal } = options;
  let settle!: (error?: unknown) => void;
  const ended = new Promise<void>((resolve, reject) => {
    settle = (error?: unknown) => (error === undefined ? resolve() : reject(error));
  });
  let stopped = false;
  const stop = (error?: unknown): void => {
    if (stopped) return;
    stopped = true;
    settle(error);
  };
  const reached = (partition: number, position: bigint): void => {
    const range = ranges.get(partition);
    if (range === undefined || position < range.to || !pending.has(partition)) return;
    pending.delete(partition);
    consumer.pause([{ topic, partitions: [partition] }]);
    if (pending.size === 0) stop();
  };
  const onAbort = (): void => stop();
  signal?.addEventListener('abort', onAbort, { once: true });

  // The group has no committed offsets; each (re)join starts where the range read stands. A seek
  // made here comes before the first fetch (records below `from` fetched meanwhile are dropped).
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const partition of pending) {
      consumer.seek({ topic, partition, offset: positions.get(partition)!.toString() });
    }
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic === topic && payload.lastOffset !== null && !stopped) {
      reached(payload.partition, BigInt(payload.lastOffset) + 1n);
    }
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) stop(payload.error);
  });

  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (stopped) return;
        const range = ranges.get(batch.partition);
        if (range === undefined || !pending.has(batch.partition)) return;
        // From the position, not `from`: a fetch made before a re-join's seek may repeat records.
        const start = positions.get(batch.partition)!;
        const records: RangeRecord[] = [];
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset >= start && offset < range.to) records.push(toRangeRecord(topic, batch.partition, m));
        }
        try {
          if (records.length > 0) {
            await options.onBatch(batch.partition, records);
            const next = records[records.length - 1].offset + 1n;
            positions.set(batch.partition, next);
            reached(batch.partition, next);
          }
        } catch (error) {
          stop(error);
          return;
        }
        if (signal?.aborted) stop();
      },
    });
    await ended;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  // Positions count records handed out; a finished partition counts as read to its end.
  for (const [partition, range] of ranges) if (!pending.has(partition)) positions.set(partition, range.to);
  return { complete: pending.size === 0, positions };
}

async function deleteGroup(admin: Admin, groupId: string): Promise<void> {
  await admin.deleteGroups([groupId]).catch(() => undefined);
}

/**
 * Reads every partition of `topic` from its earliest kept offset to the end offsets the broker
 * reports when the read starts, read committed (`resolveRange` with no bounds, then
 * `readTopicRange`): what a compacted offsets topic or a deletion scan reads at once.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  options: Omit<TopicRangeReadOptions, 'partitions'>,
): Promise<TopicRangeReadResult> {
  const admin = kafka.admin();
  await admin.connect();
  let partitions: PartitionRange[];
  try {
    partitions = await resolveRange(admin, options.topic, {});
  } finally {
    await admin.disconnect();
  }
  return readTopicRange(kafka, { ...options, partitions });
}
