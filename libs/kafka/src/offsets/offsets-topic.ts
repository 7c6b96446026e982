import { type Kafka, type Message } from 'kafkajs';
import { readTopicToEnd } from '../range/topic-range-reader';
import { TopicProvisioner } from '../topics/topic-provisioner';

/**
 * A compacted topic of source offsets, as Kafka Connect's `connect-offsets`: each record's key a
 * JSON array naming whose offset it is (`["source-http-poll","<name>","<stream>"]`), its value the
 * offset as JSON (a tombstone forgets it). Written by a source inside the Kafka transaction that
 * carries the records the offset follows, so records and offset commit together; read committed
 * at start-up, after the source's transactional producer has fenced any older instance (whose
 * open transaction would otherwise hide the end of the topic).
 */
export class OffsetsTopic {
  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
  ) {}

  /**
   * Creates the topic if missing: compacted, one partition (offsets are few; one partition keeps
   * each key's history in order), room for large values.
   */
  async ensure(replicationFactor: number, maxValueBytes = 16 * 1024 * 1024): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await new TopicProvisioner(admin).provision([
        {
          name: this.topic,
          partitions: 1,
          replicationFactor,
          configs: { 'cleanup.policy': 'compact', 'max.message.bytes': String(maxValueBytes) },
        },
      ]);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * The last committed value of every key that `owned` recognises (it returns the name to file it
   * under, or undefined for another source's key). Unreadable records are reported to `onUnreadable`
   * and skipped: no default, as a skipped position is one to say out loud.
   */
  async read<T>(
    owned: (key: readonly unknown[]) => string | undefined,
    onUnreadable: (error: unknown, offset: bigint) => void,
    timeoutMs = 30_000,
  ): Promise<Map<string, T>> {
    const values = new Map<string, T>();
    const { complete } = await readTopicToEnd(this.kafka, {
      topic: this.topic,
      groupIdPrefix: 'sluice.offsets-reader',
      signal: AbortSignal.timeout(timeoutMs),
      onBatch: (_partition, records) => {
        for (const record of records) {
          const key = parseKey(record.key);
          const name = key && owned(key);
          if (name === undefined) continue;
          if (record.value === null) values.delete(name);
          else
            try {
              values.set(name, JSON.parse(record.value.toString('utf8')) as T);
            } catch (error) {
              onUnreadable(error, record.offset);
            }
        }
      },
    });
    // Read committed, the end is held back by any producer's open transaction on this topic.
    if (!complete)
      throw new Error(
        `the offsets topic ${this.topic} was not read to its end within ${timeoutMs} ms: another producer's ` +
          'transaction on it is open (it ends when that producer restarts or its transaction times out)',
      );
    return values;
  }

  /** The record of one offset, to be sent inside the transaction it commits with. */
  record(key: readonly unknown[], value: unknown): { topic: string; messages: Message[] } {
    return { topic: this.topic, messages: [{ key: JSON.stringify(key), value: JSON.stringify(value) }] };
  }
}

function parseKey(key: Buffer | null): readonly unknown[] | undefined {
  if (key === null) return undefined;
  try {
    const parsed = JSON.parse(key.toString('utf8')) as unknown;
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
