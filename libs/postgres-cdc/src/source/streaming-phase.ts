import { FatalRecordError } from '@sluice/errors';
import type { ChangeEvent } from '../events/change-event-builder';
import type { TransactionEvents, TransactionMetadata } from '../events/transaction-metadata';
import { isHeartbeat } from '../heartbeat/heartbeat';
import type { Lsn } from '../lsn/lsn';
import type { PendingTransaction } from '../offsets/acknowledgement-window';
import type { PgOutputMessage } from '../pgoutput/pgoutput-message';
import type { ReplicationMessage } from '../replication/replication-stream';
import type { IncrementalSnapshot } from './incremental-snapshot';
import { CapturedTransactionTrace } from './change-tracing';
import { deliver, type PhaseContext } from './phase-context';

interface OpenTransaction {
  readonly pending: PendingTransaction;
  readonly xid: number;
  /** Its commit's position (the Begin message's final LSN). */
  readonly finalLsn: Lsn;
  readonly commitTimeMicros: bigint;
  /** BEGIN/END and the events' `transaction` blocks, when transaction metadata is on. */
  readonly metadata: TransactionEvents | undefined;
  readonly trace: CapturedTransactionTrace;
}

/** What the streaming phase needs from its owner. */
export interface StreamingContext extends PhaseContext {
  /** Latest position read, for status. */
  readonly onPosition: (lsn: Lsn) => void;
  /** Set when `events.transactionMetadata` is on. */
  readonly transactions?: TransactionMetadata;
  /** Set when a signal table is configured: sees every message first. */
  readonly incremental?: IncrementalSnapshot;
  /** The captured database (the trace's root span names it). */
  readonly database: string;
  /**
   * Where streaming resumes (the slot's confirmed position: the end of the last delivered
   * transaction), Debezium's restored `lsn_commit`: `source.sequence[0]` of the first transaction.
   */
  readonly lastCommitLsn?: Lsn;
  /**
   * Exactly once: the committed position read from the offsets topic. Transactions committed before
   * it are in Kafka already (the slot was not yet confirmed past them): replayed, they are dropped.
   */
  readonly delivered?: Lsn;
  /** Called with each transaction dropped as already delivered. */
  readonly onAlreadyDelivered?: () => void;
  /**
   * `events.skipOrigins`: a transaction whose Origin message names one of them (or `<name>#<n>`),
   * or any (`all`, when Postgres does not filter them: a signal table is set), is dropped, its
   * commit only marked so the slot moves past it.
   */
  readonly skipOrigins?: readonly string[] | 'all';
  /** Called with each transaction dropped for its origin. */
  readonly onOriginSkipped?: (origin: string) => void;
  /** Called with each row change (insert, update, delete, truncate) dropped for its origin. */
  readonly onOriginChangeSkipped?: () => void;
  /**
   * The commit position of a transaction that failed a record in the previous run: this run
   * delivers every transaction before it, then stops at its Begin (FailedTransactionReached).
   */
  readonly stopBefore?: Lsn;
}

/**
 * A change of a streamed transaction could not be written (`events.processingFailureHandlingMode`
 * fail): the record's own error, with the transaction it belongs to. Under exactly once the
 * transactions committed in Postgres before it may share its Kafka transaction, which the failure
 * aborts; the source runs once more up to `finalLsn` so that they are not kept back.
 */
export class FailedTransactionError extends FatalRecordError {
  constructor(
    readonly finalLsn: Lsn,
    readonly failure: FatalRecordError,
  ) {
    super(failure.message, { cause: failure, code: failure.code });
  }
}

/** A run started with `stopBefore` delivered what came before that transaction and stopped at it. */
export class FailedTransactionReached extends FatalRecordError {
  constructor(readonly finalLsn: Lsn) {
    super(`stopped before the transaction committed at ${finalLsn.toString()}, which failed`, {
      code: 'CDC_FAILED_TRANSACTION_REACHED',
    });
  }
}

/** Row changes: what a transaction dropped for its origin would have published. */
const CHANGE_TYPES: ReadonlySet<string> = new Set(['insert', 'update', 'delete', 'truncate']);
const OPERATIONS = { insert: 'c', update: 'u', delete: 'd' } as const;

/** Whether `origin` is `name` or one of `name#<n>` (a sink's origins, one per writing connection). */
export function originMatches(names: readonly string[], origin: string): boolean {
  return names.some(
    (name) =>
      origin === name || (origin.startsWith(`${name}#`) && /^\d+$/.test(origin.slice(name.length + 1))),
  );
}

/**
 * Turns the replication stream into Kafka events: transaction by transaction, in commit order, each
 * change built with its table's current schema and handed to the publisher with the transaction
 * it belongs to, so the slot is confirmed past a commit only once Kafka holds all its events.
 */
export class StreamingPhase {
  private tx: OpenTransaction | undefined;
  private lastCommitLsn: Lsn | undefined;
  /** The replication origin of the open transaction (an Origin message follows its Begin). */
  private origin: { readonly name: string; readonly lsn: Lsn } | undefined;
  /** Inside a replayed transaction that is already in Kafka. */
  private replayed = false;
  /** Inside a transaction written with an origin of `skipOrigins`. */
  private skipped = false;

  constructor(private readonly context: StreamingContext) {
    this.lastCommitLsn = context.lastCommitLsn;
  }

  /** Runs until the stream ends (stop) or fails (the error propagates to the source's retry loop). */
  async run(stream: AsyncIterable<ReplicationMessage>): Promise<void> {
    for await (const { lsn, message } of stream) {
      try {
        await this.handle(lsn, message);
        // After the commit is handled (its events closed, so Kafka and the slot can take it on
        // their own timers): a chunk asked for inside the transaction is read now.
        // Only awaited when a chunk is to be read: no extra turn per transaction otherwise.
        if (message.type === 'commit') {
          const reading = this.context.incremental?.transactionEnded();
          if (reading) await reading;
        }
      } catch (error) {
        const tx = this.tx;
        if (
          tx === undefined ||
          !(error instanceof FatalRecordError) ||
          error instanceof FailedTransactionReached
        )
          throw error;
        throw error instanceof FailedTransactionError
          ? error
          : new FailedTransactionError(tx.finalLsn, error);
      }
      this.context.onPosition(lsn);
      const paused = this.context.whilePaused();
      if (paused) await paused;
    }
  }

  private async handle(lsn: Lsn, message: PgOutputMessage): Promise<void> {
    const { tables, builder, publisher, window, incremental } = this.context;
    // Signals and the snapshot's bookkeeping are consumed there; a chunk may be emitted there.
    if (incremental?.wants(message) && (await incremental.observe(message, this.publishes(message)))) return;
    if ((this.replayed || this.skipped) && message.type !== 'commit' && message.type !== 'relation') {
      if (this.skipped && CHANGE_TYPES.has(message.type)) this.context.onOriginChangeSkipped?.();
      return;
    }
    switch (message.type) {
      case 'begin':
        incremental?.noteBegin(message.xid);
        this.origin = undefined;
        if (this.context.delivered && message.finalLsn.isBefore(this.context.delivered)) {
          this.replayed = true;
          return;
        }
        if (this.context.stopBefore && !message.finalLsn.isBefore(this.context.stopBefore)) {
          // Everything before it is closed: commit (or send) it, then stop where the last run failed.
          await publisher.flush();
          throw new FailedTransactionReached(message.finalLsn);
        }
        this.tx = {
          pending: window.open(),
          xid: message.xid,
          finalLsn: message.finalLsn,
          commitTimeMicros: message.commitTime.epochMicros,
          // Debezium's transaction id is `<txId>:<LSN of the BEGIN message>` (the transaction's
          // first WAL record, where the walsender sends BEGIN from), not the commit's.
          metadata: this.context.transactions?.open(message.xid, lsn, message.commitTime.epochMicros),
          trace: CapturedTransactionTrace.begin(
            this.context.database,
            message.xid,
            lsn,
            message.commitTime.epochMicros,
          ),
        };
        return;
      case 'relation':
        return tables.describe(message.relation);
      case 'insert': {
        const schema = tables.schemaOf(message.relation.relationId);
        return this.emit(
          message.relation.relationId,
          builder.insert(schema, message.newValues, this.position(lsn)),
        );
      }
      case 'update': {
        const schema = tables.schemaOf(message.relation.relationId);
        const events = builder.update(schema, message.oldValues, message.newValues, this.position(lsn));
        return this.emit(message.relation.relationId, events);
      }
      case 'delete': {
        const schema = tables.schemaOf(message.relation.relationId);
        return this.emit(
          message.relation.relationId,
          builder.delete(schema, message.oldValues, this.position(lsn)),
        );
      }
      case 'truncate':
        for (const relation of message.relations) {
          const schema = tables.schemaOf(relation.relationId);
          await this.emit(relation.relationId, builder.truncate(schema, this.position(lsn)));
        }
        return;
      case 'commit':
        if (this.skipped) {
          // Nothing was published (the Origin message comes before any change): the window's
          // pending transaction closes empty and the slot moves past it.
          this.skipped = false;
          if (this.tx) publisher.close(this.tx.pending, message.endLsn);
          this.tx?.trace.end();
          this.lastCommitLsn = message.endLsn;
          this.tx = undefined;
          return;
        }
        if (this.replayed) {
          // Its events were committed with the offset: only the slot still has to move past it.
          this.replayed = false;
          this.lastCommitLsn = message.endLsn;
          publisher.mark(message.endLsn);
          this.context.onAlreadyDelivered?.();
          return;
        }
        if (this.tx?.metadata && !this.tx.metadata.empty)
          await publisher.publish(this.tx.metadata.end(), this.tx.pending);
        if (this.tx) {
          publisher.close(this.tx.pending, message.endLsn);
          this.tx.trace.end();
        }
        // Debezium's lastCommitLsn is the commit message's WAL position: the end of the commit record
        this.lastCommitLsn = message.endLsn;
        this.tx = undefined;
        return;
      case 'message':
        // A heartbeat outside any transaction: a position with nothing to deliver, so the slot
        // advances while the captured tables are idle.
        if (isHeartbeat(message) && !message.transactional && this.tx === undefined)
          publisher.mark(message.lsn);
        // Any message outside a transaction (anyone's pg_logical_emit_message(false, …)) is, to
        // Debezium, a processed position: its lastCommitLsn, the next change's sequence[0].
        if (!message.transactional && this.tx === undefined) this.lastCommitLsn = lsn;
        return;
      case 'origin':
        this.origin = { name: message.name, lsn: message.originLsn };
        if (
          this.context.skipOrigins === 'all' ||
          (this.context.skipOrigins && originMatches(this.context.skipOrigins, message.name))
        ) {
          this.skipped = true;
          this.context.onOriginSkipped?.(message.name);
        }
        return;
      default:
        // type: nothing to publish. Streamed and two-phase transactions are not requested
        // (START_REPLICATION without `streaming` / `two_phase`), so they never arrive.
        return;
    }
  }

  /**
   * Whether a change message becomes events: not in a transaction skipped for its origin, nor of an
   * operation `events.skippedOperations` leaves out. A replayed transaction's are in Kafka already.
   */
  private publishes(message: PgOutputMessage): boolean {
    if (this.skipped) return !CHANGE_TYPES.has(message.type);
    const operation = OPERATIONS[message.type as keyof typeof OPERATIONS];
    return operation === undefined || this.context.builder.publishes(operation);
  }

  private position(lsn: Lsn) {
    return {
      lsn,
      lastCommitLsn: this.lastCommitLsn,
      txId: this.tx?.xid,
      commitTimeMicros: this.tx?.commitTimeMicros ?? 0n,
      ...(this.origin && { origin: this.origin }),
    };
  }

  private async emit(relationId: number, events: readonly ChangeEvent[]): Promise<void> {
    const tx = this.tx;
    if (tx === undefined) return; // changes arrive only inside Begin/Commit
    const { metadata } = tx;
    for (const event of events) {
      if (metadata !== undefined && event.value !== null) {
        if (metadata.empty) await this.context.publisher.publish(metadata.begin(), tx.pending);
        event.value.transaction = metadata.next(`${event.value.source.schema}.${event.value.source.table}`);
      }
      await deliver(this.context, relationId, event, tx.pending, tx.trace);
    }
    this.context.onEvents(events.length);
  }
}
