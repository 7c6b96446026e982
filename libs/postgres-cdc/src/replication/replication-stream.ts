import type { Client } from 'pg';
import type { SluiceError } from '@sluice/errors';
import { Lsn } from '../lsn/lsn';
import type { PgOutputDecoder } from '../pgoutput/pgoutput-decoder';
import type { PgOutputMessage } from '../pgoutput/pgoutput-message';
import { classifyPostgresError } from './postgres-errors';
import { parseReplicationFrame, standbyStatusUpdate } from './replication-protocol';

/** One decoded pgoutput message and the WAL position its XLogData started at. */
export interface ReplicationMessage {
  readonly lsn: Lsn;
  readonly message: PgOutputMessage;
}

export interface ReplicationStreamOptions {
  /**
   * The position the source resumes from (its last acknowledged LSN). Transactions that committed
   * before it and logical messages at or before it were delivered already and are skipped; the
   * slot's confirmed_flush_lsn starts here. `Lsn.INVALID`: deliver everything the slot sends.
   */
  readonly resumeLsn: Lsn;
  /** Standby status update at least this often, also while paused (wal_sender_timeout is 60 s by default). */
  readonly statusIntervalMs: number;
  /**
   * Least time between two status updates sent for new acknowledgements: every acknowledgement in
   * between is told with the next one. 0: one update per turn of the event loop at most.
   */
  readonly acknowledgeIntervalMs: number;
  /** Stop reading the socket when this many decoded messages wait for the consumer. */
  readonly maxBufferedMessages: number;
  readonly now?: () => number;
}

/** How far the stream got, for metrics and health. */
export interface ReplicationStreamPosition {
  /** End of the last XLogData received. */
  readonly receivedLsn: Lsn;
  /** The server's end of WAL as of the last message or keepalive. */
  readonly serverWalEnd: Lsn;
  /** Safely delivered: told to the slot with the next status update (its confirmed_flush_lsn follows). */
  readonly acknowledgedLsn: Lsn;
  readonly bufferedMessages: number;
  readonly paused: boolean;
  readonly skippedTransactions: number;
}

/** pg's Connection has this method; its type declarations do not list it. */
interface CopyBothConnection {
  sendCopyFromChunk(chunk: Buffer): void;
}

type Waiter = { resolve: (r: IteratorResult<ReplicationMessage>) => void; reject: (e: unknown) => void };

/**
 * The CopyBoth phase of START_REPLICATION: XLogData decoded into pgoutput messages, in WAL order,
 * as an async iterable with backpressure (the socket is paused while `maxBufferedMessages` wait
 * and resumed when half of them are consumed). Postgres is told a position is done only through
 * `acknowledge(lsn)`, which the source calls once Kafka acknowledged every event up to it; keepalives
 * and the periodic status update repeat that acknowledged position and never more.
 *
 * A lost connection or a server error ends the iteration with a classified error (RetriableError
 * for a terminated walsender or restarted server); the source then reconnects from its last
 * acknowledged LSN and Postgres resends everything after it.
 */
export class ReplicationStream implements AsyncIterable<ReplicationMessage> {
  private readonly queue: ReplicationMessage[] = [];
  private head = 0;
  private waiter: Waiter | undefined;
  private failure: SluiceError | undefined;
  private ended = false;
  private stopping = false;
  private paused = false;
  private acknowledged: Lsn;
  private received = Lsn.INVALID;
  private serverWalEnd = Lsn.INVALID;
  private skipping = false;
  private skipped = 0;
  private readonly timer: NodeJS.Timeout;
  /** The status update that tells acknowledgements made since the last one, when one is due. */
  private acknowledgeTimer: NodeJS.Timeout | undefined;
  private lastStatusAt = Number.NEGATIVE_INFINITY;
  private readonly resumeBelow: number;
  private readonly now: () => number;

  /** @internal Built by `ReplicationConnection.startReplication`. */
  constructor(
    private readonly client: Client,
    private readonly decoder: PgOutputDecoder,
    private readonly options: ReplicationStreamOptions,
    private readonly description: string,
  ) {
    this.acknowledged = options.resumeLsn;
    this.now = options.now ?? Date.now;
    this.resumeBelow = Math.max(1, Math.floor(options.maxBufferedMessages / 2));
    this.timer = setInterval(() => this.sendStatus(false), options.statusIntervalMs);
    this.timer.unref();
  }

  /** @internal Frames from `client.connection`'s copyData events. */
  onCopyData(chunk: Buffer): void {
    if (this.ended) return;
    let message: PgOutputMessage;
    let lsn: Lsn;
    try {
      const frame = parseReplicationFrame(chunk);
      if (frame.kind === 'keepalive') {
        if (frame.walEnd.isAfter(this.serverWalEnd)) this.serverWalEnd = frame.walEnd;
        if (frame.replyRequested) this.sendStatus(false);
        return;
      }
      lsn = frame.walStart;
      if (frame.walEnd.isAfter(this.serverWalEnd)) this.serverWalEnd = frame.walEnd;
      // Decoded even when skipped: Relation messages in a skipped transaction still update the cache.
      message = this.decoder.decode(chunk, frame.payloadOffset);
      const end = lsn.add(chunk.length - frame.payloadOffset);
      if (end.isAfter(this.received)) this.received = end;
    } catch (error) {
      this.fail(error as SluiceError);
      return;
    }
    if (this.isAlreadyDelivered(message)) return;
    this.push({ lsn, message });
  }

  /**
   * Skips what the source acknowledged before this connection: a transaction whose commit record
   * starts before the resume LSN ended at or before it (the resume LSN is always a commit's end or
   * a logical message's position), and so was delivered.
   */
  private isAlreadyDelivered(message: PgOutputMessage): boolean {
    const resume = this.options.resumeLsn;
    if (!resume.isValid) return false;
    switch (message.type) {
      case 'begin':
        this.skipping = message.finalLsn.isBefore(resume);
        if (this.skipping) this.skipped++;
        return this.skipping;
      case 'commit':
        if (this.skipping) {
          this.skipping = false;
          return true;
        }
        return false;
      case 'message':
        return this.skipping || (!message.transactional && !message.lsn.isAfter(resume));
      default:
        return this.skipping;
    }
  }

  private push(item: ReplicationMessage): void {
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve({ value: item, done: false });
      return;
    }
    this.queue.push(item);
    if (!this.paused && this.queue.length - this.head >= this.options.maxBufferedMessages) {
      this.paused = true;
      this.client.connection.stream.pause();
    }
  }

  /** @internal The connection failed or the server ended the stream. */
  fail(error: unknown): void {
    if (this.ended) return;
    if (!this.stopping) this.failure = classifyPostgresError(error, this.description);
    this.finish();
  }

  private finish(): void {
    this.ended = true;
    clearInterval(this.timer);
    clearTimeout(this.acknowledgeTimer);
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter === undefined) return;
    if (this.failure !== undefined && this.head >= this.queue.length) waiter.reject(this.failure);
    else waiter.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<ReplicationMessage>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++];
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (this.paused && this.queue.length - this.head <= this.resumeBelow && !this.ended) {
        this.paused = false;
        this.client.connection.stream.resume();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<ReplicationMessage> {
    return {
      next: () => this.next(),
      // Leaving a for-await loop early ends replication.
      return: async () => {
        await this.stop();
        return { value: undefined, done: true };
      },
    };
  }

  /**
   * Everything up to `lsn` is safely delivered (Kafka acknowledged it): the slot may advance to it
   * and Postgres may recycle the WAL before it. Pass a commit's `endLsn` or a logical message's
   * `lsn`. Never moves backwards. Told to Postgres by a status update sent on the next turn
   * of the event loop, or, when the last one went out less than `acknowledgeIntervalMs` ago, once
   * that interval is over: a batch Kafka acknowledged confirms hundreds of transactions one by one,
   * and each status update is a write here and a slot update in the walsender.
   */
  acknowledge(lsn: Lsn): void {
    if (!lsn.isAfter(this.acknowledged)) return;
    this.acknowledged = lsn;
    if (this.acknowledgeTimer !== undefined || this.ended) return;
    const { acknowledgeIntervalMs } = this.options;
    // Clamped: a wall clock stepped back must not hold the update longer than the interval.
    const wait = Math.min(
      acknowledgeIntervalMs,
      Math.max(0, this.lastStatusAt + acknowledgeIntervalMs - this.now()),
    );
    this.acknowledgeTimer = setTimeout(() => this.sendStatus(false), wait);
  }

  get position(): ReplicationStreamPosition {
    return {
      receivedLsn: this.received,
      serverWalEnd: this.serverWalEnd,
      acknowledgedLsn: this.acknowledged,
      bufferedMessages: this.queue.length - this.head,
      paused: this.paused,
      skippedTransactions: this.skipped,
    };
  }

  private sendStatus(replyRequested: boolean): void {
    clearTimeout(this.acknowledgeTimer);
    this.acknowledgeTimer = undefined;
    if (this.ended) return;
    const now = this.now();
    this.lastStatusAt = now;
    const ack = this.acknowledged;
    try {
      (this.client.connection as unknown as CopyBothConnection).sendCopyFromChunk(
        standbyStatusUpdate(ack, ack, ack, now, replyRequested),
      );
    } catch (error) {
      this.fail(error);
    }
  }

  /** Sends the acknowledged position one last time and closes the connection. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.sendStatus(false);
    this.stopping = true;
    this.queue.length = 0;
    this.head = 0;
    this.finish();
    await this.client.end().catch(() => undefined);
  }
}
