import { type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import { type TraceSpan } from '@sluice/observability';
import { type OutputRecord } from '../processor/stream-record';

/** A consumed partition, as the group assigns it. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * How one assigned partition's results reach their destination and how its position is saved —
 * the offset-commit strategy. The runtime drives it per fetched batch:
 * `begin()`, then `send`/`deadLetter` from the records' work, then exactly one of
 * `checkpoint(next)` (make everything sent durable, then save `next` as the group's position) or
 * `abort()` (the batch is given up; the next owner redoes it).
 *
 * Implemented by Kafka at-least-once and exactly-once strategies here (`O` = `OutputRecord`); a sink
 * implements it with its own result type `O` (sink-postgres: decoded row changes) to write rows and
 * the offset in one database transaction, and answers `startingOffset` from its own table so the
 * runtime seeks there on assignment (mirroring its position to the group's Kafka offsets only for
 * Kafka's tools: GroupOffsetMirror).
 */
export interface PartitionDelivery<O = OutputRecord> {
  /**
   * Where to start reading when the partition is assigned, if this strategy keeps the position
   * itself: the runtime seeks there as soon as the partition is assigned, and again after each
   * rebalance that keeps it here (then from the last checkpoint). The group's Kafka offsets are
   * then informational only (see GroupOffsetMirror). Undefined: nothing stored; the partition
   * starts at its earliest offset (`fromBeginning`) or its end.
   */
  startingOffset?(): Promise<bigint | undefined>;
  /**
   * Shuts out every earlier owner of the partition's outputs (exactly-once: initialises the
   * partition's transactional id, which aborts what the previous owner left open and refuses its
   * later commits); nothing to do when this delivery's producer already did. The runtime calls it
   * before the partition's first batch of each generation and then reads the group's offset again:
   * kafkajs read it at its first fetch after the assignment, before the fence, and a previous owner
   * still alive could have committed after that read. Not called for a strategy with
   * `startingOffset` (the group's offsets are not its position).
   */
  fence?(): Promise<void>;
  begin(): Promise<void>;
  /**
   * Hands over a record's outputs, in the record's order. Resolves when they are accepted (queued,
   * or written when the queue is full); durability comes with `checkpoint`. Rejects when they
   * cannot be written: the batch is then not checkpointed.
   *
   * `trace` is the record's span when the process traces (a sink's delivery, whose outputs are not
   * Kafka records, ends each record's trace with the write that commits it: `MessageTracing.write`).
   */
  send(records: readonly O[], trace?: TraceSpan): Promise<void>;
  /**
   * Same, for a record bound for one of the runtime's own Kafka topics — a dead letter, or a
   * parked-key marker of `<group>.dlq.parked` (`record.topic` says which) — to `partition`. The same
   * durability rule: never committed before it is written.
   */
  deadLetter(record: DeadLetterRecord, partition: number): Promise<void>;
  /** Writes everything sent, then saves `nextOffset` (the next offset to consume) for the group. */
  checkpoint(nextOffset: bigint): Promise<void>;
  /** Gives the batch up: nothing of it is committed (exactly-once: its outputs are discarded). */
  abort(): Promise<void>;
  /** The partition is no longer processed here. */
  close(): Promise<void>;
}

/** Makes the per-partition deliveries of one runtime; one of the two Kafka strategies, or a sink's. */
export interface DeliveryStrategy<O = OutputRecord> {
  readonly name: string;
  start(): Promise<void>;
  forPartition(tp: TopicPartition): PartitionDelivery<O>;
  stop(): Promise<void>;
}

/** Saves a group position through the consumer (at-least-once); refuses when the partition was lost. */
export type GroupOffsetCommitter = (tp: TopicPartition, nextOffset: bigint) => Promise<void>;
