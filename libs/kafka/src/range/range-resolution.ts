import { type Admin } from 'kafkajs';
import { InvalidRangeError, type PartitionRange, type RangeBound, type RangeSpec } from './topic-range';

/** A partition's offsets as the broker reports them: `low` the earliest kept, `high` the end. */
export interface PartitionOffsets {
  readonly partition: number;
  readonly low: bigint;
  readonly high: bigint;
}

/** Offsets found for a timestamp bound, per partition (the end when no record is that late). */
export type TimestampOffsets = ReadonlyMap<number, bigint>;

/** Rejects malformed bounds before anything is asked of the broker. */
export function checkRangeSpec(spec: RangeSpec): void {
  for (const field of ['from', 'to'] as const) {
    const bound = spec[field];
    if (bound === undefined) continue;
    if ('offset' in bound && bound.offset < 0n) {
      throw new InvalidRangeError(`${field} offset ${bound.offset} is negative`, field);
    }
    if ('offsets' in bound) {
      if (bound.offsets.size === 0) throw new InvalidRangeError(`${field} names no partition`, field);
      for (const [partition, offset] of bound.offsets) {
        if (!Number.isInteger(partition) || partition < 0) {
          throw new InvalidRangeError(`${field} names partition ${partition}, not a partition number`, field);
        }
        if (offset < 0n) {
          throw new InvalidRangeError(
            `${field} offset ${offset} of partition ${partition} is negative`,
            field,
          );
        }
      }
    }
    if ('timestamp' in bound && !(Number.isSafeInteger(bound.timestamp) && bound.timestamp >= 0)) {
      throw new InvalidRangeError(
        `${field} timestamp ${String(bound.timestamp)} is not a time in ms since the epoch`,
        field,
      );
    }
  }
  for (const p of spec.partitions ?? []) {
    if (!Number.isInteger(p) || p < 0) {
      throw new InvalidRangeError(`partition ${p} is not a partition number`, 'partitions');
    }
  }
  const { from, to } = spec;
  if (from && to && 'timestamp' in from && 'timestamp' in to && from.timestamp > to.timestamp) {
    throw new InvalidRangeError(
      `from ${new Date(from.timestamp).toISOString()} is after to ${new Date(to.timestamp).toISOString()}`,
      'from',
    );
  }
  if (from && to && 'offset' in from && 'offset' in to && from.offset > to.offset) {
    throw new InvalidRangeError(`from offset ${from.offset} is after to offset ${to.offset}`, 'from');
  }
}

/** The partitions a spec selects, given the topic's partitions (sorted, checked to exist). */
export function selectedPartitions(topic: string, spec: RangeSpec, existing: readonly number[]): number[] {
  const known = new Set(existing);
  const named = new Set<number>();
  for (const bound of [spec.from, spec.to]) {
    if (bound && 'offsets' in bound) for (const p of bound.offsets.keys()) named.add(p);
  }
  const chosen = spec.partitions
    ? [...new Set(spec.partitions)]
    : named.size > 0
      ? [...named]
      : [...existing];
  for (const p of [...chosen, ...named]) {
    if (known.has(p)) continue;
    const from = spec.from && 'offsets' in spec.from && spec.from.offsets.has(p);
    const field = spec.partitions?.includes(p) ? 'partitions' : from ? 'from' : 'to';
    throw new InvalidRangeError(
      `topic ${topic} has no partition ${p} (it has ${existing.length}: 0..${existing.length - 1})`,
      field,
    );
  }
  return chosen.sort((a, b) => a - b);
}

function boundOffset(
  bound: RangeBound | undefined,
  partition: number,
  fallback: bigint,
  atTimestamp: TimestampOffsets | undefined,
): bigint {
  if (bound === undefined) return fallback;
  if ('offset' in bound) return bound.offset;
  if ('offsets' in bound) return bound.offsets.get(partition) ?? fallback;
  return atTimestamp?.get(partition) ?? fallback;
}

const clamp = (v: bigint, low: bigint, high: bigint): bigint => (v < low ? low : v > high ? high : v);

/**
 * Turns a checked spec into [from, to) per selected partition, clamped to what the log holds
 * ([low, high]): records below `low` are gone, nothing lies beyond `high`. Pure, for the tests.
 */
export function planRange(
  topic: string,
  spec: RangeSpec,
  offsets: readonly PartitionOffsets[],
  fromTimestamp?: TimestampOffsets,
  toTimestamp?: TimestampOffsets,
): PartitionRange[] {
  checkRangeSpec(spec);
  const byPartition = new Map(offsets.map((o) => [o.partition, o]));
  const partitions = selectedPartitions(
    topic,
    spec,
    offsets.map((o) => o.partition).sort((a, b) => a - b),
  );
  return partitions.map((partition) => {
    const { low, high } = byPartition.get(partition)!;
    const from = clamp(boundOffset(spec.from, partition, low, fromTimestamp), low, high);
    const to = clamp(boundOffset(spec.to, partition, high, toTimestamp), low, high);
    if (from > to) {
      throw new InvalidRangeError(
        `partition ${partition} of ${topic}: from offset ${from} is after to offset ${to}`,
        'from',
      );
    }
    return { partition, from, to };
  });
}

async function offsetsAt(admin: Admin, topic: string, bound: RangeBound | undefined) {
  if (bound === undefined || !('timestamp' in bound)) return undefined;
  const found = await admin.fetchTopicOffsetsByTimestamp(topic, bound.timestamp);
  return new Map(found.map((o) => [o.partition, BigInt(o.offset)]));
}

/**
 * Resolves a spec against the broker: the topic's low/high offsets (`fetchTopicOffsets`) and, for
 * timestamp bounds, the first offset at or after each timestamp (`fetchTopicOffsetsByTimestamp`,
 * which answers the end when no record is that late). A `to` timestamp is exclusive: records
 * stamped at or after it are not in the range. Throws `InvalidRangeError` for a malformed spec,
 * an unknown topic or partition.
 */
export async function resolveRange(admin: Admin, topic: string, spec: RangeSpec): Promise<PartitionRange[]> {
  checkRangeSpec(spec);
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) throw new InvalidRangeError(`topic ${topic} does not exist`, 'topic');
  const reported = await admin.fetchTopicOffsets(topic);
  const offsets = reported.map((o) => ({
    partition: o.partition,
    low: BigInt(o.low),
    high: BigInt(o.high),
  }));
  const fromTs = await offsetsAt(admin, topic, spec.from);
  const toTs = await offsetsAt(admin, topic, spec.to);
  return planRange(topic, spec, offsets, fromTs, toTs);
}
