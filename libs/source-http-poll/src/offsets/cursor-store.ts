import { type Kafka, type Message } from 'kafkajs';
import { readTopicRange } from '@sluice/kafka';
import { type Logger } from '@sluice/observability';
import { EMPTY_CURSOR, type PollCursor } from '../cursor/poll-cursor';

/**
 * The committed cursors of a source's streams, in a compacted topic shared by every
 * source-http-poll (as Kafka Connect's `connect-offsets`): key `["<source>","<stream>"]`, value the
 * cursor as JSON. Written only inside the page transactions; read, committed only, at start-up
 * after the transactional producer fenced any older instance (so no open transaction hides one).
 */
export class CursorStore {
  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    private readonly source: string,
    private readonly logger: Logger,
  ) {}

  /** Creates the topic if missing: compacted, one partition (the cursors are few and small). */
  async ensureTopic(replicationFactor: number): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      if ((await admin.listTopics()).includes(this.topic)) return;
      await admin
        .createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: this.topic,
              numPartitions: 1,
              replicationFactor,
              configEntries: [
                { name: 'cleanup.policy', value: 'compact' },
                // A cursor remembers the overlap's versions: room for large ones.
                { name: 'max.message.bytes', value: String(16 * 1024 * 1024) },
              ],
            },
          ],
        })
        .catch((error: unknown) => {
          if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
        });
    } finally {
      await admin.disconnect();
    }
  }

  /** The last committed cursor of each of this source's streams. */
  async read(): Promise<Map<string, PollCursor>> {
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: { partition: number; high: string; low: string }[];
    try {
      ends = await admin.fetchTopicOffsets(this.topic);
    } finally {
      await admin.disconnect();
    }
    const cursors = new Map<string, PollCursor>();
    await readTopicRange(this.kafka, {
      topic: this.topic,
      groupIdPrefix: `sluice.http-poll.${this.source}.cursors`,
      partitions: ends.map((e) => ({ partition: e.partition, from: BigInt(e.low), to: BigInt(e.high) })),
      onBatch: (_partition, records) => {
        for (const record of records) {
          const stream = this.streamOf(record.key);
          if (stream === undefined) continue;
          if (record.value === null) cursors.delete(stream);
          else
            try {
              cursors.set(stream, {
                ...EMPTY_CURSOR,
                ...(JSON.parse(record.value.toString('utf8')) as PollCursor),
              });
            } catch (error) {
              this.logger.warn(
                { err: error, stream, offset: String(record.offset) },
                'unreadable cursor record skipped',
              );
            }
        }
      },
    });
    return cursors;
  }

  /** The cursor record of one stream, to be sent inside the page's transaction. */
  record(stream: string, cursor: PollCursor): { topic: string; messages: Message[] } {
    return {
      topic: this.topic,
      messages: [{ key: JSON.stringify([this.source, stream]), value: JSON.stringify(cursor) }],
    };
  }

  private streamOf(key: Buffer | null): string | undefined {
    if (key === null) return undefined;
    try {
      const parsed = JSON.parse(key.toString('utf8')) as unknown;
      return Array.isArray(parsed) && parsed[0] === this.source && typeof parsed[1] === 'string'
        ? parsed[1]
        : undefined;
    } catch {
      return undefined;
    }
  }
}
