import { type Kafka, type Message } from 'kafkajs';
import { OffsetsTopic } from '@sluice/kafka';
import { type Logger } from '@sluice/observability';
import { type PollCursor, storedCursor } from '../cursor/poll-cursor';

/**
 * The committed cursors of a source's streams, in an offsets topic shared by every
 * source-http-poll (as Kafka Connect's `connect-offsets`): key `["<source>","<stream>"]`, value the
 * cursor as JSON. Written only inside the page transactions; read committed at start-up, after the
 * transactional producer fenced any older instance.
 */
export class CursorStore {
  private readonly offsets: OffsetsTopic;

  constructor(
    kafka: Kafka,
    topic: string,
    private readonly source: string,
    private readonly logger: Logger,
  ) {
    this.offsets = new OffsetsTopic(kafka, topic);
  }

  get topic(): string {
    return this.offsets.topic;
  }

  ensureTopic(replicationFactor: number): Promise<void> {
    return this.offsets.ensure(replicationFactor);
  }

  /** The last committed cursor of each of this source's streams; MalformedCursorError for one of another shape. */
  async read(): Promise<Map<string, PollCursor>> {
    const stored = await this.offsets.read<unknown>(
      ([source, stream]) => (source === this.source && typeof stream === 'string' ? stream : undefined),
      (error, offset) =>
        this.logger.warn({ err: error, offset: String(offset) }, 'unreadable cursor record skipped'),
    );
    return new Map(
      [...stored].map(([stream, value]) => [
        stream,
        storedCursor(
          value,
          `of stream ${stream} in ${this.topic} (key ${JSON.stringify([this.source, stream])})`,
        ),
      ]),
    );
  }

  /** The cursor record of one stream, to be sent inside the page's transaction. */
  record(stream: string, cursor: PollCursor): { topic: string; messages: Message[] } {
    return this.offsets.record([this.source, stream], cursor);
  }
}
