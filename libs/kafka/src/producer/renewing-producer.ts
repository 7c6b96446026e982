import { type Producer, type ProducerBatch, type ProducerRecord, type RecordMetadata } from 'kafkajs';
import { withDeadline } from '@sluice/errors';
import { dropProducer } from './drop-producer';

/**
 * A send that never went out, so nothing of it can land later: the RenewingProducer was not
 * connected, was disconnected, or could not connect the producer to replace a failed one (Kafka away).
 */
export class ProducerUnavailableError extends Error {
  constructor(
    readonly reason: 'not connected' | 'disconnected' | 'not renewed',
    options?: ErrorOptions,
  ) {
    const detail = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(
      reason === 'not renewed'
        ? `nothing sent: no new producer could be connected after a failed send${detail}`
        : `nothing sent: the producer is ${reason}`,
      options,
    );
    this.name = 'ProducerUnavailableError';
  }
}

export interface RenewingProducerOptions {
  /** Told each time the producer is replaced, with the failure that retired the previous one. */
  onRenewed?: (cause: unknown) => void;
  /**
   * The longest a send may take, retries included, before it fails (DeadlineExceededError, outcome
   * unknown) and its producer is retired. kafkajs has no delivery.timeout.ms and retries a retriable
   * failure without end, and some of its waits can hang for good after a broker restart; without a
   * bound one such send would hold every later one. Default 120000, the Java client's
   * delivery.timeout.ms.
   */
  deliveryTimeoutMs?: number;
  /**
   * The longest connecting a producer (and disconnecting one, at `disconnect()`) may take. A
   * renewal that does not connect in time fails its send unsent, as when Kafka refuses. Default 30000.
   */
  connectTimeoutMs?: number;
}

const DEFAULT_DELIVERY_TIMEOUT_MS = 120_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/**
 * An idempotent, non-transactional producer that is replaced by a new one (a new producer id, so a
 * new sequence) after any failed send, and that sends one request at a time.
 *
 * Why: kafkajs rolls a partition's sequence number back when a produce request fails, but the
 * broker may have appended that request (it wrote it, then the connection closed or the answer was
 * lost — a broker restart). The next batch for that partition then reuses those sequence numbers:
 * the broker refuses it and every later one with OUT_OF_ORDER_SEQUENCE_NUMBER (not retriable), or,
 * when it is as long as the lost one, takes it for a duplicate and drops it without a word.
 * - After a send rejected (whatever the reason: which ones went out is not knowable from here), the
 *   next send first connects a new producer and disconnects the old one. A renewal that fails (Kafka
 *   away) fails that send, unsent (ProducerUnavailableError), and the next send tries again.
 * - Sends take turns: kafkajs retries a failed request itself, with the rolled-back numbers, which
 *   is right only if no other send to the same partition took those numbers in between. Within one
 *   broker kafkajs serialises produce requests anyway, so the turns cost parallelism across brokers
 *   only. A send retrying against a broker that is away keeps the later ones waiting meanwhile (in
 *   kafkajs's own per-broker lock they would wait too, and fail after its 65 s lock timeout).
 *
 * Nothing the turns wait on may hang, or no send would go out again (seen after a broker restart:
 * 503s for minutes with no error logged): a send is bounded by `deliveryTimeoutMs`, a connect by
 * `connectTimeoutMs`, and a retired producer is disconnected in the background, since kafkajs's
 * disconnect waits for requests in flight that a dead connection may never settle.
 *
 * What a failed send wrote is unknown: a caller that sends it again (at-least-once) may write it
 * twice — the new producer id means the broker cannot recognise the copy. A send abandoned at its
 * deadline may even land after later ones: kafkajs cannot cancel it, and its retries reconnect. A
 * transactional producer needs none of this: aborting and initialising again (or a new producer)
 * bumps its epoch.
 */
export class RenewingProducer {
  private producer: Producer | undefined;
  /** The failure that retired the current producer: replaced before the next send. */
  private retired: { cause: unknown } | undefined;
  private turn: Promise<unknown> = Promise.resolve();
  private closed = false;
  private renewalCount = 0;
  private readonly deliveryTimeoutMs: number;
  private readonly connectTimeoutMs: number;

  constructor(
    /** Makes a new, not yet connected, idempotent non-transactional producer (`createProducer`). */
    private readonly create: () => Producer,
    private readonly options: RenewingProducerOptions = {},
  ) {
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /** How many times the producer was replaced after a failed send. */
  get renewals(): number {
    return this.renewalCount;
  }

  /** Connects the first producer; rejects when Kafka cannot be reached. */
  async connect(): Promise<void> {
    if (this.closed) throw new ProducerUnavailableError('disconnected');
    if (this.producer) return;
    const producer = await this.connected();
    if (this.closed) {
      await producer.disconnect().catch(() => undefined);
      throw new ProducerUnavailableError('disconnected');
    }
    this.producer = producer;
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.inTurn((producer) => producer.send(record));
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.inTurn((producer) => producer.sendBatch(batch));
  }

  /**
   * Disconnects the producer; later sends reject. Does not wait for the send in flight (on a dead
   * broker it may never settle): kafkajs fails it. Waits at most `connectTimeoutMs` for kafkajs.
   */
  async disconnect(): Promise<void> {
    this.closed = true;
    const producer = this.producer;
    this.producer = undefined;
    if (producer)
      await withDeadline(producer.disconnect(), this.connectTimeoutMs, 'disconnecting a producer');
  }

  private inTurn(work: (producer: Producer) => Promise<RecordMetadata[]>): Promise<RecordMetadata[]> {
    const mine = this.turn.then(() => this.attempt(work));
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  private async attempt(work: (producer: Producer) => Promise<RecordMetadata[]>): Promise<RecordMetadata[]> {
    if (this.closed) throw new ProducerUnavailableError('disconnected');
    if (!this.producer) throw new ProducerUnavailableError('not connected');
    if (this.retired) await this.renew(this.retired.cause);
    const producer = this.producer;
    try {
      return await withDeadline(work(producer), this.deliveryTimeoutMs, 'a Kafka send');
    } catch (error) {
      // Disconnected meanwhile: nothing is sent any more, so there is nothing to renew.
      if (this.producer === producer) this.retired = { cause: error };
      throw error;
    }
  }

  private async renew(cause: unknown): Promise<void> {
    const fresh = await this.connected().catch((error: unknown) => {
      throw new ProducerUnavailableError('not renewed', { cause: error });
    });
    if (this.closed) {
      // disconnect() came while this one connected; it would outlive it.
      await fresh.disconnect().catch(() => undefined);
      throw new ProducerUnavailableError('disconnected');
    }
    const old = this.producer;
    this.producer = fresh;
    this.retired = undefined;
    this.renewalCount += 1;
    this.options.onRenewed?.(cause);
    dropProducer(old);
  }

  /** A new producer, connected within connectTimeoutMs; one that fails or is late is disconnected. */
  private async connected(): Promise<Producer> {
    const producer = this.create();
    const connecting = producer.connect();
    try {
      await withDeadline(connecting, this.connectTimeoutMs, 'connecting a producer');
      return producer;
    } catch (error) {
      // A late connect still completes: disconnect after it, or it would linger, connected.
      void connecting.catch(() => undefined).then(() => dropProducer(producer));
      throw error;
    }
  }
}
