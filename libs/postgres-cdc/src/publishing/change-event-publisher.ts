import type { Message, Producer, TopicMessages } from 'kafkajs';
import { RetriableError, withDeadline } from '@sluice/errors';
import type { Lsn } from '../lsn/lsn';
import type { AcknowledgementWindow, PendingTransaction } from '../offsets/acknowledgement-window';

/** One encoded event on its way to Kafka (key and value already in the Confluent wire format). */
export interface OutgoingEvent {
  readonly topic: string;
  /** Null only for keyless topics (the transaction metadata topic keys by id, so: rarely). */
  readonly key: Buffer | null;
  /** Null for a tombstone. */
  readonly value: Buffer | null;
  /** Decided by the caller (murmur2 of the key, as Java's partitioner); else the producer's partitioner decides. */
  readonly partition?: number;
  readonly headers?: Record<string, string | Buffer>;
}

export interface ChangeEventPublisherOptions {
  /** Events per Kafka request at most. */
  readonly maxBatchRecords: number;
  /**
   * Bytes (key, value, headers, record framing) per partition per Kafka request at most (one event larger than this goes
   * alone): Kafka refuses a partition's batch above the topic's max.message.bytes (1 MiB by
   * default). Events without a partition count together per topic.
   */
  readonly maxBatchBytes: number;
  /** How long a batch may wait to fill before it is sent, in ms. */
  readonly lingerMs: number;
  /** Events handed over and not yet acknowledged; `publish` waits while this many are pending. */
  readonly maxPendingEvents: number;
  /**
   * How long one request to Kafka may take, its retries included. kafkajs retries a send without
   * bound and has been seen never to settle one after a broker crash; past this the publisher
   * fails, and its owner starts again with a fresh producer.
   */
  readonly sendTimeoutMs: number;
  /** Called with each new confirmable position, in order; the stream acknowledges it to Postgres. */
  readonly onConfirmable: (lsn: Lsn) => void;
  /** Called with the number of events of each batch Kafka acknowledged (progress for liveness). */
  readonly onAcknowledged?: (events: number) => void;
}

interface Batch {
  readonly byTopic: Map<string, Message[]>;
  readonly byTransaction: Map<PendingTransaction, number>;
  /** Bytes per topic-partition (`topic` alone for events the producer partitions). */
  readonly bytes: Map<string, number>;
  size: number;
}

/**
 * Sends change events to Kafka in batches, one request at a time, and reports which WAL position
 * became safe to confirm. One batch in flight keeps commit order on every partition (the producer is
 * idempotent, so a retried request never duplicates or reorders), while the next batch fills.
 *
 * Failure is not retried here: the producer already retried what was retriable. A failed send leaves
 * the publisher broken, `publish` and `flush` reject, and the caller restarts streaming from the last
 * confirmed position, which redelivers every unacknowledged event (at-least-once, duplicates carry
 * their lsn and txId).
 */
export class ChangeEventPublisher {
  private batch: Batch = emptyBatch();
  /** Full batches waiting for the one in flight, in order: a batch never grows past its limits. */
  private readonly sealed: Batch[] = [];
  private inFlight: Promise<void> | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private pendingEvents = 0;
  private failure: Error | undefined;
  private readonly drainWaiters: Array<() => void> = [];

  constructor(
    private readonly producer: Producer,
    private readonly window: AcknowledgementWindow,
    private readonly options: ChangeEventPublisherOptions,
  ) {}

  /** Events handed over and not yet acknowledged by Kafka. */
  get pending(): number {
    return this.pendingEvents;
  }

  /**
   * Queues `event` as part of `tx`. Resolves at once unless too many events are pending, in which
   * case it waits for Kafka: that pause is the backpressure that stops reading the replication slot.
   */
  async publish(event: OutgoingEvent, tx: PendingTransaction): Promise<void> {
    this.throwIfFailed();
    const bytes = recordBytes(event);
    const bucket = event.partition === undefined ? event.topic : `${event.topic}\u0000${event.partition}`;
    const filled = this.batch.bytes.get(bucket) ?? 0;
    if (filled > 0 && filled + bytes > this.options.maxBatchBytes) this.seal();
    this.window.add(tx);
    this.pendingEvents++;
    let messages = this.batch.byTopic.get(event.topic);
    if (messages === undefined) this.batch.byTopic.set(event.topic, (messages = []));
    messages.push(
      event.partition === undefined
        ? { key: event.key, value: event.value, headers: event.headers }
        : { key: event.key, value: event.value, headers: event.headers, partition: event.partition },
    );
    this.batch.byTransaction.set(tx, (this.batch.byTransaction.get(tx) ?? 0) + 1);
    this.batch.size++;
    this.batch.bytes.set(bucket, (this.batch.bytes.get(bucket) ?? 0) + bytes);
    if (this.batch.size >= this.options.maxBatchRecords) this.seal();
    if (this.sealed.length > 0) this.sendSoon(0);
    else this.sendSoon(this.options.lingerMs);
    if (this.pendingEvents >= this.options.maxPendingEvents) await this.waitForRoom();
  }

  /**
   * An event of `tx` kept back (its table is held for a schema decision): it counts as outstanding,
   * so the slot is never confirmed past it, until `publishHeld` sends it.
   */
  hold(tx: PendingTransaction): void {
    this.window.add(tx);
  }

  /** Sends an event that `hold` kept back. */
  async publishHeld(event: OutgoingEvent, tx: PendingTransaction): Promise<void> {
    await this.publish(event, tx);
    // `publish` counted it again; the hold's count goes, the event's own stays until Kafka acks.
    this.report(this.window.acknowledge(tx));
  }

  /** The commit of `tx` was read. */
  close(tx: PendingTransaction, endLsn: Lsn): void {
    this.report(this.window.close(tx, endLsn));
  }

  /** A position with nothing to deliver (heartbeat, transaction of uncaptured tables). */
  mark(endLsn: Lsn): void {
    this.report(this.window.mark(endLsn));
  }

  /** Sends everything queued and waits until Kafka acknowledged it. */
  async flush(): Promise<void> {
    for (;;) {
      this.throwIfFailed();
      if (this.inFlight) await this.inFlight;
      else if (this.sealed.length > 0 || this.batch.size > 0) await this.sendNow();
      else return;
    }
  }

  private sendSoon(delayMs: number): void {
    if (this.inFlight) return; // the batch goes as soon as the one in flight is acknowledged
    if (delayMs === 0) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
      void this.sendNow().catch(() => undefined);
    } else if (this.lingerTimer === undefined) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        void this.sendNow().catch(() => undefined);
      }, delayMs);
    }
  }

  private seal(): void {
    this.sealed.push(this.batch);
    this.batch = emptyBatch();
  }

  private sendNow(): Promise<void> {
    if (this.inFlight || this.failure || (this.sealed.length === 0 && this.batch.size === 0))
      return this.inFlight ?? Promise.resolve();
    if (this.sealed.length === 0) this.seal();
    const batch = this.sealed.shift()!;
    const topicMessages: TopicMessages[] = [...batch.byTopic].map(([topic, messages]) => ({
      topic,
      messages,
    }));
    this.inFlight = withDeadline(
      this.producer.sendBatch({ topicMessages, acks: -1 }),
      this.options.sendTimeoutMs,
      `sending ${batch.size} change events to Kafka`,
    )
      .then(
        () => this.acknowledged(batch),
        (error: unknown) => this.fail(error),
      )
      .finally(() => {
        this.inFlight = undefined;
        if (this.failure) return;
        if (this.sealed.length > 0) this.sendSoon(0);
        else if (this.batch.size > 0) this.sendSoon(this.options.lingerMs);
      });
    return this.inFlight;
  }

  private acknowledged(batch: Batch): void {
    this.pendingEvents -= batch.size;
    this.options.onAcknowledged?.(batch.size);
    for (const [tx, count] of batch.byTransaction) this.report(this.window.acknowledge(tx, count));
    this.wakeWaiters();
  }

  private fail(error: unknown): void {
    // A failure is final for this publisher: a batch after it would overtake the failed one.
    this.failure ??= new RetriableError(
      `publishing change events to Kafka failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
    this.wakeWaiters();
  }

  private report(lsn: Lsn | undefined): void {
    if (lsn !== undefined) this.options.onConfirmable(lsn);
  }

  private waitForRoom(): Promise<void> {
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve)).then(() => this.throwIfFailed());
  }

  private wakeWaiters(): void {
    if (!this.failure && this.pendingEvents >= this.options.maxPendingEvents) return;
    for (const wake of this.drainWaiters.splice(0)) wake();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}

/** What an event weighs in a Kafka record batch: key, value, headers and the record's own framing. */
function recordBytes(event: OutgoingEvent): number {
  let bytes = RECORD_OVERHEAD_BYTES + (event.key?.length ?? 0) + (event.value?.length ?? 0);
  for (const [name, value] of Object.entries(event.headers ?? {}))
    bytes += name.length + (typeof value === 'string' ? Buffer.byteLength(value) : value.length);
  return bytes;
}

/** Length varints, attributes, offset and timestamp deltas of one record: at most about this. */
const RECORD_OVERHEAD_BYTES = 32;

function emptyBatch(): Batch {
  return { byTopic: new Map(), byTransaction: new Map(), bytes: new Map(), size: 0 };
}
