import { murmur2, toPositive } from './murmur2';

/**
 * The partition the Java client's default partitioner picks for a non-null key:
 * `toPositive(murmur2(keyBytes)) % numPartitions`. `key` is the serialized key (for Sluice's Avro
 * keys, the Confluent-framed bytes), and `partitionCount` is the topic's total partition count
 * (available or not, as in Java), so the answer depends only on the key and the topic's size.
 */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
  }
  return toPositive(murmur2(key)) % partitionCount;
}
