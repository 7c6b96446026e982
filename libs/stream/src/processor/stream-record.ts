import { type RecordHeaders } from '../dead-letter/record-headers';

/** One consumed Kafka record, bytes exactly as read. What a processor receives. */
export interface StreamRecord {
  readonly topic: string;
  readonly partition: number;
  /** int64 offset in the partition. */
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeaders;
  /** Record timestamp, epoch ms as text (as Kafka clients give it). */
  readonly timestamp: string;
  /** When its batch arrived from Kafka (performance.now() of this process), if read from Kafka. */
  readonly fetchedAt?: number;
}

/** One record to produce downstream. */
export interface OutputRecord {
  readonly topic: string;
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: RecordHeaders;
  /** Explicit partition; default: murmur2 of the key (the Java client's choice). */
  readonly partition?: number;
}

/**
 * The key, value and header bytes of a record: what the broker's max.message.bytes bounds (its
 * framing aside), counted one way for batching outputs and for fitting dead letters.
 */
export function recordBytes(record: {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: RecordHeaders;
}): number {
  let bytes = sizeOf(record.key) + sizeOf(record.value);
  for (const header of record.headers ?? []) bytes += Buffer.byteLength(header.key) + sizeOf(header.value);
  return bytes;
}

function sizeOf(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}
