import { randomInt } from 'node:crypto';
import { type ICustomPartitioner, type PartitionerArgs } from 'kafkajs';
import { partitionForKey } from './partition-for-key';

/**
 * Sluice's default kafkajs partitioner, Java-compatible for keyed messages:
 *  - a message with an explicit `partition` goes there;
 *  - a keyed message goes to `partitionForKey(key, total partition count)`, the Java client's choice,
 *    so every consumer and producer in any language agrees where a key lives (order per key depends
 *    on it). A string key is hashed as its UTF-8 bytes, which is what kafkajs puts on the wire;
 *  - a message without a key has no ordering to keep: it goes round-robin over the partitions that
 *    currently have a leader (all of them when none has), starting at a random partition per topic so
 *    that many short-lived producers do not all load partition 0 first. This is what kafkajs's own
 *    default does. The Java client (KIP-794) instead sticks to one partition per batch; both spread
 *    load evenly over time and neither is part of any contract.
 *
 * A factory, as kafkajs expects: each producer gets its own round-robin counters.
 */
export const murmur2Partitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();

  const nextCounter = (topic: string): number => {
    const next = (counters.get(topic) ?? randomInt(0, 0x7fffffff)) + 1;
    // Wrap well before 2^53 loses integer precision; the exact wrap point does not matter.
    counters.set(topic, next & 0x7fffffff);
    return next & 0x7fffffff;
  };

  return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== undefined && message.partition !== null) return message.partition;

    if (message.key !== undefined && message.key !== null) {
      const key = typeof message.key === 'string' ? Buffer.from(message.key, 'utf8') : message.key;
      return partitionForKey(key, partitionMetadata.length);
    }

    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) return available[nextCounter(topic) % available.length].partitionId;
    return nextCounter(topic) % partitionMetadata.length;
  };
};
