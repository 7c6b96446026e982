import { type Message } from 'kafkajs';
import { partitionForKey, type RangeRecord } from '@sluice/kafka';

/** The header every re-published record carries: the replay's id. */
export const REPLAY_ID_HEADER = 'sluice.replay.id';
/** Where a re-published record came from: `<topic>/<partition>/<offset>` (audit, de-duplication). */
export const REPLAY_SOURCE_HEADER = 'sluice.replay.source';

/**
 * Turns a source record into the target's message: same key, value (unless re-encoded) and
 * headers, plus the replay headers. Partition: the same number when the target has as many
 * partitions as the source (so per-key order and placement stay as they were), else murmur2 of
 * the key like every Sluice producer (a keyless record keeps its source partition modulo the
 * count). The timestamp is the replay's (the broker's now): an old timestamp could fall out of the
 * target's retention at once.
 */
export class ReplayRecordMapper {
  private readonly replayId: Buffer;

  constructor(
    replayId: string,
    private readonly sourcePartitions: number,
    private readonly targetPartitions: number,
  ) {
    this.replayId = Buffer.from(replayId, 'utf8');
  }

  partitionOf(record: RangeRecord, key: Buffer | null): number {
    if (this.sourcePartitions === this.targetPartitions) return record.partition;
    if (key !== null) return partitionForKey(key, this.targetPartitions);
    return record.partition % this.targetPartitions;
  }

  toMessage(record: RangeRecord, key: Buffer | null, value: Buffer | null): Message {
    return {
      key,
      value,
      partition: this.partitionOf(record, key),
      headers: {
        ...record.headers,
        [REPLAY_ID_HEADER]: this.replayId,
        [REPLAY_SOURCE_HEADER]: `${record.topic}/${record.partition}/${record.offset}`,
      },
    };
  }
}

/** Bytes a message takes in a request, near enough to bound request sizes. */
export function messageBytes(m: Message): number {
  let n = 70 + (m.key?.length ?? 0) + ((m.value as Buffer | null)?.length ?? 0);
  const headers = m.headers;
  for (const k in headers) {
    const v = headers[k];
    n += k.length + 8;
    // A header value may be null (Java producers write them; kafkajs reads them as null).
    if (Array.isArray(v)) for (const x of v) n += (x as Buffer | null)?.length ?? 0;
    else n += (v as Buffer | null | undefined)?.length ?? 0;
  }
  return n;
}
