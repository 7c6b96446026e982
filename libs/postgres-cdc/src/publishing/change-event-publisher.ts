import type { Message, Producer, TopicMessages, Transaction } from 'kafkajs';
import { RetriableError, SluiceError, withDeadline } from '@sluice/errors';
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
  /** Set for exactly-once delivery: the producer is transactional (see the class comment). */
  readonly exactlyOnce?: ExactlyOnceDelivery;
}

/** How events and the source's position commit together in Kafka transactions. */
export interface ExactlyOnceDelivery {
  /** The offsets record saying everything up to `lsn` is delivered, sent inside the transaction. */
  readonly offsetRecord: (lsn: Lsn) => TopicMessages;
  /**
   * Least time between two commits, in ms. Under load several Postgres transactions share one Kafka
   * transaction (the next fills while the commit is in flight); a quiet source commits at once.
   */
  readonly commitIntervalMs: number;
  /**
   * The broker aborts a transaction open this long. A Postgres transaction still being sent after
   * half of it is committed in parts rather than aborted again and again (`onPartialCommit` says so).
   */
  readonly transactionTimeoutMs: number;
  /** The producer's transactional id, named when another process fences this one. */
  readonly transactionalId?: string;
  readonly onPartialCommit?: () => void;
}

/** Another process took over the transactional id: this one must stop, not retry (it would fence the other back). */
export class SourceFencedError extends SluiceError {
  readonly code = 'SOURCE_FENCED';
  readonly retriable = false;
}

const FENCED = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH']);

/**
 * True when `error` or one of its causes is the broker's answer to a fenced producer. kafkajs
 * wraps a non-retriable protocol error in a KafkaJSNonRetriableError (no `type`, the protocol
 * error as `cause`).
 */
export function isFenced(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; depth++) {
    if (FENCED.has((cause as { type?: unknown }).type as string)) return true;
    cause = cause.cause;
  }
  return false;
}

interface Batch {
  /** Exactly once: the Kafka transaction commits once this batch is sent (it ends a Postgres transaction). */
  commitAfter?: boolean;
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
 *
 * Exactly once (`exactlyOnce`, a transactional producer): the batches are sent inside a Kafka
 * transaction, which commits only at the end of a Postgres transaction — never with part of one —
 * together with the offsets record of the position confirmable after it; only then is that position
 * confirmed to the slot. A restarted source reads the committed position and drops the replayed
 * transactions before it (`StreamingPhase`), so a read_committed consumer sees each change once.
 * Events after the commit point wait in the next batch while the commit is in flight. A Postgres
 * transaction (or an initial snapshot) still being sent after half the transaction timeout is
 * committed in parts, so that the broker does not abort it again and again.
 */
export class ChangeEventPublisher {
  private batch: Batch = emptyBatch();
  /** Full batches waiting for the one in flight, in order: a batch never grows past its limits. */
  private readonly sealed: Batch[] = [];
  private inFlight: Promise<void> | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Shut down by its run: nothing is sent or committed any more (the producer is about to disconnect). */
  private closed = false;
  /** An abort issued after a failure, awaited by `shutdown`. */
  private aborting: Promise<unknown> | undefined;
  private pendingEvents = 0;
  private failure: Error | undefined;
  private readonly drainWaiters: Array<() => void> = [];
  // Exactly once:
  private transaction: Transaction | undefined;
  /** The batch being sent (its `commitAfter` may still be set). */
  private sending: Batch | undefined;
  /** The position confirmable once the open Kafka transaction commits. */
  private deferred: Lsn | undefined;
  /** The position of the last offsets record sent in the open Kafka transaction. */
  private recorded: Lsn | undefined;
  private lastCommitAt = 0;
  private transactionOpenedAt = 0;
  /** A batch is marked to commit after it: later boundaries wait for that commit to begin. */
  private commitRequested = false;
  private commitTimer: NodeJS.Timeout | undefined;
  /** Postgres transactions with events published and no commit read yet: no Kafka commit may split them. */
  private readonly unclosed = new Set<PendingTransaction>();

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
    // A held event released later belongs to a transaction already closed: it splits nothing.
    if (this.options.exactlyOnce && tx.endLsn === undefined) this.unclosed.add(tx);
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
    this.unclosed.delete(tx);
    this.report(this.window.close(tx, endLsn));
    this.maybeCommit();
  }

  /** A position with nothing to deliver (heartbeat, transaction of uncaptured tables). */
  mark(endLsn: Lsn): void {
    this.report(this.window.mark(endLsn));
    this.maybeCommit();
  }

  /**
   * Sends everything queued and waits until Kafka acknowledged it; exactly once, commits what ends
   * a Postgres transaction and aborts the rest (it is read again from the slot).
   */
  async flush(): Promise<void> {
    if (this.options.exactlyOnce && this.unclosed.size === 0) this.requestCommit();
    for (;;) {
      this.throwIfFailed();
      if (this.inFlight) await this.inFlight;
      else if (this.sealed.length > 0 || this.batch.size > 0) await this.sendNow();
      else break;
    }
    if (this.transaction === undefined) return;
    if (this.unclosed.size === 0) {
      this.requestCommit();
      await this.inFlight;
      this.throwIfFailed();
    } else {
      const open = this.transaction;
      this.transaction = undefined;
      this.recorded = undefined;
      await open.abort().catch(() => undefined);
    }
  }

  /**
   * Stops sending before the producer disconnects: no timer fires after this and the work in flight
   * is awaited, the open transaction aborted (kafkajs would open new connections for a send or a
   * commit on a disconnected producer, and keep them). What is not committed is read again from the
   * slot by the next run.
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    // Anything still calling publish or flush ends with this instead of waiting or looping.
    this.failure ??= new RetriableError('the change event publisher was shut down: its run ended');
    this.wakeWaiters();
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    await this.inFlight?.catch(() => undefined);
    const open = this.transaction;
    this.transaction = undefined;
    this.recorded = undefined;
    await Promise.all([open?.abort(), this.aborting].map((p) => p?.catch(() => undefined)));
  }

  /** Exactly once: commits at this Postgres transaction boundary when the interval allows, else soon. */
  private maybeCommit(): void {
    const eos = this.options.exactlyOnce;
    if (!eos || this.failure || this.commitRequested) return;
    if (this.unclosed.size > 0) {
      // A Postgres transaction too long for one Kafka transaction: commit what is sent, not abort.
      if (this.transaction && Date.now() - this.transactionOpenedAt > eos.transactionTimeoutMs / 2) {
        eos.onPartialCommit?.();
        this.requestCommit();
      }
      return;
    }
    if (
      this.transaction === undefined &&
      !this.inFlight &&
      this.sealed.length === 0 &&
      this.batch.size === 0
    ) {
      // Nothing in Kafka waits for a commit: a position with nothing to deliver is confirmable now.
      this.releaseDeferred();
      return;
    }
    const wait = this.lastCommitAt + eos.commitIntervalMs - Date.now();
    if (wait <= 0) return this.requestCommit();
    this.commitTimer ??= setTimeout(() => {
      this.commitTimer = undefined;
      this.maybeCommit();
    }, wait);
  }

  /** Marks the last batch queued (or the one in flight) to commit after it; with none, commits now. */
  private requestCommit(): void {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    if (this.closed) return;
    if (this.batch.size > 0) this.seal();
    const last = this.sealed.at(-1) ?? this.sending;
    if (last) {
      last.commitAfter = true;
      this.commitRequested = true;
    } else if (!this.inFlight) this.track(this.commit());
    else return; // a commit is in flight; its end looks again (maybeCommit)
    this.sendSoon(0);
  }

  private async commit(): Promise<void> {
    const transaction = this.transaction;
    const lsn = this.deferred;
    const recorded = this.recorded;
    this.lastCommitAt = Date.now();
    this.commitRequested = false;
    if (transaction === undefined) return this.releaseDeferred();
    await withDeadline(
      (async () => {
        // Usually a batch already carried the record (send): the commit is one request. A position
        // that moved on since (a heartbeat, a transaction of uncaptured tables) gets its own.
        if (lsn !== undefined && (recorded === undefined || lsn.isAfter(recorded)))
          await transaction.sendBatch({
            topicMessages: [this.options.exactlyOnce!.offsetRecord(lsn)],
            acks: -1,
          });
        else if (recorded !== undefined && (lsn === undefined || recorded.isAfter(lsn)))
          // Cannot happen (every batch of the transaction is acknowledged by now); never commit a
          // record claiming more than was delivered: the transaction is aborted and read again.
          throw new Error(
            `the offsets record sent says ${recorded.toString()}, but only ${lsn?.toString() ?? 'nothing'} is acknowledged`,
          );
        await transaction.commit();
      })(),
      this.options.sendTimeoutMs,
      'committing change events to Kafka',
    );
    this.transaction = undefined;
    this.recorded = undefined;
    if (this.deferred === lsn) this.deferred = undefined;
    if (lsn !== undefined) this.options.onConfirmable(lsn);
  }

  private releaseDeferred(): void {
    const lsn = this.deferred;
    this.deferred = undefined;
    if (lsn !== undefined) this.options.onConfirmable(lsn);
  }

  private sendSoon(delayMs: number): void {
    if (this.inFlight || this.closed) return; // the batch goes as soon as the one in flight is acknowledged
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
    if (this.closed) return this.inFlight ?? Promise.resolve();
    if (this.inFlight || this.failure || (this.sealed.length === 0 && this.batch.size === 0))
      return this.inFlight ?? Promise.resolve();
    if (this.sealed.length === 0) this.seal();
    const batch = this.sealed.shift()!;
    this.sending = batch;
    return this.track(
      withDeadline(
        this.send(batch),
        this.options.sendTimeoutMs,
        `sending ${batch.size} change events to Kafka`,
      ).then(() => {
        this.sending = undefined;
        this.acknowledged(batch);
        if (batch.commitAfter) return this.commit();
      }),
    );
  }

  /** Runs `work` as the one thing in flight; a failure breaks the publisher. */
  private track(work: Promise<void>): Promise<void> {
    this.inFlight = work
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.inFlight = undefined;
        this.sending = undefined;
        if (this.failure) return;
        if (this.sealed.length > 0) this.sendSoon(0);
        else if (this.batch.size > 0) this.sendSoon(this.options.lingerMs);
        this.maybeCommit();
      });
    return this.inFlight;
  }

  private async send(batch: Batch): Promise<void> {
    const topicMessages: TopicMessages[] = [...batch.byTopic].map(([topic, messages]) => ({
      topic,
      messages,
    }));
    if (!this.options.exactlyOnce) {
      await this.producer.sendBatch({ topicMessages, acks: -1 });
      return;
    }
    if (this.transaction === undefined) {
      this.transaction = await this.producer.transaction();
      this.transactionOpenedAt = Date.now();
    }
    // The offsets record of the position this batch makes confirmable travels with it (the batches
    // before it are acknowledged: one is in flight at a time). It is visible only with the
    // transaction's commit, which waits for every batch; the commit then sends no record of its own
    // (two requests fewer: Produce, and AddPartitionsToTxn for the offsets topic).
    const lsn = this.window.confirmableAfter(batch.byTransaction);
    const record = lsn !== undefined && (this.recorded === undefined || lsn.isAfter(this.recorded));
    if (record) topicMessages.push(this.options.exactlyOnce.offsetRecord(lsn));
    await this.transaction.sendBatch({ topicMessages, acks: -1 });
    if (record) this.recorded = lsn;
  }

  private acknowledged(batch: Batch): void {
    this.pendingEvents -= batch.size;
    this.options.onAcknowledged?.(batch.size);
    for (const [tx, count] of batch.byTransaction) this.report(this.window.acknowledge(tx, count));
    this.wakeWaiters();
  }

  private fail(error: unknown): void {
    // A failure is final for this publisher: a batch after it would overtake the failed one.
    const message = error instanceof Error ? error.message : String(error);
    const id = this.options.exactlyOnce?.transactionalId;
    this.failure ??= isFenced(error)
      ? new SourceFencedError(
          `another process of this source took over its transactional id${id === undefined ? '' : ` ${id}`} ` +
            `(two instances of one source must not run): this one stops. ${message}`,
          { cause: error },
        )
      : new RetriableError(`publishing change events to Kafka failed: ${message}`, { cause: error });
    clearTimeout(this.commitTimer);
    this.commitRequested = false;
    // What the open transaction holds is never visible; it is read again from the slot.
    this.aborting = this.transaction?.abort().catch(() => undefined);
    this.transaction = undefined;
    this.recorded = undefined;
    this.wakeWaiters();
  }

  private report(lsn: Lsn | undefined): void {
    if (lsn === undefined) return;
    // Exactly once, a position is confirmed only once the transaction holding its events commits.
    if (this.options.exactlyOnce && (this.transaction !== undefined || this.inFlight !== undefined))
      this.deferred = lsn;
    else this.options.onConfirmable(lsn);
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
