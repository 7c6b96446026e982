import { SluiceError } from '@sluice/errors';
import { type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import { type TopicPartition } from '../delivery/partition-delivery';

/**
 * The compacted topic that makes parked keys durable: `<group>.dlq.parked`, with as many
 * partitions as the DLQ; the marker of a key parked in source partition p goes to partition p, so
 * the next owner of p reads one small partition on assignment.
 */
export function parkedTopicFor(group: string): string {
  return `${group}.dlq.parked`;
}

/** One entry of the parked-key log: a key parked behind `failedOffset`, or released (null). */
export interface ParkedKeyEntry {
  readonly tp: TopicPartition;
  readonly key: Buffer;
  readonly failedOffset: bigint | null;
}

const SEPARATOR = 0;

/**
 * The marker's key: source topic, NUL, source partition (decimal), NUL, the record key's bytes.
 * Topic names never contain NUL, so the first two NULs split it. One key per source key, so
 * compaction keeps only its latest state (parked, or the release tombstone).
 */
export function encodeParkedKey(tp: TopicPartition, key: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(tp.topic, 'utf8'),
    Buffer.of(SEPARATOR),
    Buffer.from(String(tp.partition), 'utf8'),
    Buffer.of(SEPARATOR),
    key,
  ]);
}

/** The marker that parks `key` of `tp` behind its dead-lettered record at `failedOffset`. */
export function parkedMarker(
  group: string,
  tp: TopicPartition,
  key: Buffer,
  failedOffset: bigint,
): DeadLetterRecord {
  return {
    topic: parkedTopicFor(group),
    key: encodeParkedKey(tp, key),
    value: Buffer.from(String(failedOffset), 'utf8'),
    headers: [],
  };
}

/** The tombstone that releases `key` of `tp` (compaction then forgets it). */
export function releaseMarker(group: string, tp: TopicPartition, key: Buffer): DeadLetterRecord {
  return { topic: parkedTopicFor(group), key: encodeParkedKey(tp, key), value: null, headers: [] };
}

/** A record of the parked-key topic that Sluice did not write: the runtime refuses to guess. */
export class MalformedParkedMarkerError extends SluiceError {
  readonly code = 'MALFORMED_PARKED_MARKER';
  readonly retriable = false;
  constructor(where: string, what: string) {
    super(`parked-key marker at ${where}: ${what}`);
  }
}

/** Reads a marker back; `where` names it in the error (topic[partition]@offset). */
export function decodeParkedMarker(key: Buffer | null, value: Buffer | null, where: string): ParkedKeyEntry {
  if (!key) throw new MalformedParkedMarkerError(where, 'no key');
  const first = key.indexOf(SEPARATOR);
  const second = first < 0 ? -1 : key.indexOf(SEPARATOR, first + 1);
  if (first <= 0 || second < 0) {
    throw new MalformedParkedMarkerError(where, 'key is not <topic> NUL <partition> NUL <record key>');
  }
  const partitionText = key.subarray(first + 1, second).toString('utf8');
  if (!/^\d+$/.test(partitionText)) {
    throw new MalformedParkedMarkerError(where, `partition "${partitionText}" is not a number`);
  }
  const tp = { topic: key.subarray(0, first).toString('utf8'), partition: Number(partitionText) };
  const recordKey = Buffer.from(key.subarray(second + 1));
  if (value === null) return { tp, key: recordKey, failedOffset: null };
  const offsetText = value.toString('utf8');
  if (!/^\d+$/.test(offsetText)) {
    throw new MalformedParkedMarkerError(where, `value "${offsetText}" is not an offset`);
  }
  return { tp, key: recordKey, failedOffset: BigInt(offsetText) };
}
