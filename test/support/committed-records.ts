import { type Admin, type Kafka } from 'kafkajs';
import { type PartitionRange, type RangeRecord, readTopicRange, resolveRange } from '@sluice/kafka';

/**
 * Every committed record of `topic`, per partition in offset order: read committed from the earliest
 * kept offset to the end offsets the broker reports when the read starts (for a read committed
 * client that is the last stable offset: a transaction still open ends the read at its first record).
 *
 * A suite that counts its output reads it with this after the writer has finished, and asserts the
 * exact count: reading until N records arrived instead stops before a duplicate written after the
 * N-th record, or in a partition read later, and never sees it.
 */
export async function readCommitted(kafka: Kafka, topic: string): Promise<Map<number, RangeRecord[]>> {
  const admin = kafka.admin();
  await admin.connect();
  let partitions;
  try {
    partitions = await settledRange(admin, topic);
  } finally {
    await admin.disconnect();
  }
  const out = new Map<number, RangeRecord[]>(partitions.map((p) => [p.partition, []]));
  await readTopicRange(kafka, {
    topic,
    partitions,
    onBatch: (partition, records) => {
      out.get(partition)!.push(...records);
    },
  });
  return out;
}

/**
 * The topic's range once its end offsets hold still. A producer's commit returns when the
 * coordinator has logged it; the commit markers reach the partitions a moment later, and until then
 * the last stable offset of a partition stays before the committed records (a read right after the
 * writer finished found some partitions empty).
 */
async function settledRange(admin: Admin, topic: string): Promise<PartitionRange[]> {
  const ends = (ranges: PartitionRange[]) => ranges.map((r) => `${r.partition}:${r.to}`).join(',');
  let ranges = await resolveRange(admin, topic, {});
  const deadline = Date.now() + 5_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    const again = await resolveRange(admin, topic, {});
    if (ends(again) === ends(ranges) || Date.now() > deadline) return again;
    ranges = again;
  }
}

/**
 * Resolves once `group` has committed, in every partition of `topic` that holds records, its end offset: every
 * input record was consumed and, for an exactly-once writer, its output committed with it. Rejects
 * after `timeoutMs`, naming the partitions still behind.
 */
export async function untilConsumed(
  admin: Admin,
  group: string,
  topic: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const at = new Map(committed!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
    // A partition the group never committed is behind only if it holds records: an empty one (a key
    // distribution that left it out) has nothing to consume, and no record ever commits it.
    const behind = ends.filter((e) => {
      const position = at.get(e.partition) ?? -1n;
      return position < 0n ? BigInt(e.low) < BigInt(e.high) : position < BigInt(e.high);
    });
    if (behind.length === 0) return;
    if (Date.now() > deadline) {
      const where = behind.map((e) => `${e.partition}: ${at.get(e.partition) ?? 'none'} of ${e.high}`);
      throw new Error(`group ${group} did not consume ${topic} to its end (partition ${where.join(', ')})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
