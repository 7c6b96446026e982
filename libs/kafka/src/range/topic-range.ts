import { SluiceError } from '@sluice/errors';

/** Where one partition's range starts and ends: `from` inclusive, `to` exclusive. */
export interface PartitionRange {
  readonly partition: number;
  readonly from: bigint;
  readonly to: bigint;
}

/** One end of a range, before it is resolved against the topic's offsets. */
export type RangeBound =
  /** The same offset in every selected partition. */
  | { readonly offset: bigint }
  /** An offset per partition; the partitions named here are the ones selected (see `RangeSpec`). */
  | { readonly offsets: ReadonlyMap<number, bigint> }
  /** A record timestamp, ms since the epoch: the first offset whose timestamp is at or after it. */
  | { readonly timestamp: number };

/**
 * What to read of a topic, as a user says it. Partitions: `partitions` when given, else those
 * named by per-partition bounds, else all of the topic's. Defaults: `from` = the earliest offset
 * still in the log, `to` = the end (high watermark) at the time of resolution.
 */
export interface RangeSpec {
  readonly partitions?: readonly number[];
  readonly from?: RangeBound;
  readonly to?: RangeBound;
}

/**
 * Kafka record headers as the reader hands them on: kafkajs's decoded map, where a repeated key
 * becomes an array in order. Ready to be sent again unchanged.
 */
export type KafkaRecordHeaders = Record<string, Buffer | Buffer[]>;

/** One record read from a range, in offset order within its partition. */
export interface RangeRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** The record's timestamp, ms since the epoch. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: KafkaRecordHeaders;
}

/**
 * A range that cannot be read as asked: unknown topic or partition, from after to, a negative
 * offset, a malformed timestamp. `field` names the part of the spec at fault (`from`, `to`,
 * `partitions`, `topic`) so a CLI can name its flag.
 */
export class InvalidRangeError extends SluiceError {
  readonly code = 'RANGE_INVALID';
  readonly retriable = false;
  constructor(
    message: string,
    readonly field: 'topic' | 'partitions' | 'from' | 'to',
  ) {
    super(message);
  }
}
