import { type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import { connectedProducer, dropProducer } from '@sluice/kafka';
import { type Logger } from '@sluice/observability';

/** Another instance with the same transactional id took over: this one must stop publishing. */
export class SourceFencedError extends Error {
  constructor(cause: unknown) {
    super('another instance of this source took over its transactional id (only one may run): stopping', {
      cause,
    });
  }
}

const FENCED = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

/**
 * Publishes a page: its records and its stream's new cursor in one Kafka transaction, so a
 * read_committed consumer sees both or neither. One transactional producer per source (its id
 * `sluice-http-poll.<source>` fences a zombie twin); the streams' pages take turns on it. A failed
 * transaction is aborted and the producer replaced, which also aborts what the broker still holds.
 */
export class PagePublisher {
  private producer: Producer | undefined;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    readonly transactionalId: string,
    private readonly transactionTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** Connects: the broker aborts any transaction an earlier instance left open and fences it. */
  async connect(): Promise<void> {
    this.producer = await connectedProducer(this.kafka, {
      transactionalId: this.transactionalId,
      transactionTimeoutMs: this.transactionTimeoutMs,
    });
  }

  /** Sends and commits; rejects when the transaction was aborted (nothing of it is visible). */
  publish(topicMessages: TopicMessages[]): Promise<void> {
    const mine = this.turn.then(() => this.transact(topicMessages));
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  async disconnect(): Promise<void> {
    await this.turn;
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }

  private async transact(topicMessages: TopicMessages[]): Promise<void> {
    if (!this.producer) await this.connect();
    const transaction = await this.producer!.transaction();
    try {
      await transaction.sendBatch({ topicMessages });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      const fenced = FENCED.has((error as { type?: string }).type ?? '');
      dropProducer(this.producer);
      this.producer = undefined;
      if (fenced) throw new SourceFencedError(error);
      this.logger.warn({ err: error }, 'page transaction aborted; the producer is replaced');
      throw error;
    }
  }
}
