import { setTimeout as sleepFor } from 'node:timers/promises';
import { type Backoff, nextDelay } from '@sluice/errors';
import type { Lsn } from '../lsn/lsn';
import type { PgOutputMessage, Relation } from '../pgoutput/pgoutput-message';
import type { PostgresConnectionOptions } from '../replication/postgres-connection-options';
import { PostgresSession } from '../replication/postgres-session';
import { qualifiedName, type TableName } from '../replication/table-name';
import type { IncrementalSnapshotState } from '../snapshot/incremental-snapshot-state';
import {
  InvalidSignalError,
  isExecuteSnapshot,
  type Signal,
  type SignalTable,
} from '../snapshot/signal-table';
import { SnapshotProgress } from '../snapshot/snapshot-progress';
import { SnapshotWindow } from '../snapshot/snapshot-window';
import { completedIn, StreamedTransactions } from '../snapshot/streamed-transactions';
import { describeTable, type SnapshotTable } from '../snapshot/table-description';
import { type WatermarkedChunk, WatermarkedChunkReader } from '../snapshot/watermarked-chunk-reader';
import { deliver, type PhaseContext } from './phase-context';
import type { SnapshotStatus } from './source-status';

/** A chunk read waiting this long for a delivered transaction to become visible says so. */
const STALE_READ_WARN_MS = 5_000;
/** Between reads refused for a delivered transaction not yet visible: 10 ms, doubling to 500 ms. */
const STALE_READ_BACKOFF: Backoff = { initialDelayMs: 10, maxDelayMs: 500, multiplier: 2, jitter: 'none' };

/**
 * Exactly once: a table's incremental snapshot progress as committed in Kafka with the source offset
 * (the offsets record's `incrementalSnapshot`, keyed by `schema.table`): its chunks up to `lastKey`
 * are in Kafka, `done` when its last chunk is.
 */
export interface DeliveredSnapshotProgress {
  readonly signalId: string;
  readonly lastKey?: readonly (string | null)[];
  readonly rowsDone: number;
  readonly done?: boolean;
}

export type DeliveredSnapshot = Readonly<Record<string, DeliveredSnapshotProgress>>;

/** What the incremental snapshot needs besides the phases' shared context. */
export interface IncrementalSnapshotContext extends PhaseContext {
  /** Exactly once: each chunk's progress is recorded with the source offset (`offsetProgress`). */
  readonly exactlyOnce?: boolean;
  /**
   * Exactly once: the progress committed with the source offset. It wins over the state table,
   * which is saved only after the slot is confirmed (a kill -9 between the Kafka commit and that
   * save would otherwise read the committed chunk again).
   */
  readonly delivered?: DeliveredSnapshot;
  /** Its own connection: chunk reads, watermarks and progress saves never wait behind heartbeats. */
  readonly connection: PostgresConnectionOptions;
  readonly signals: SignalTable;
  readonly state: IncrementalSnapshotState;
  readonly chunkSize: number;
  /** Whether this source captures `schema.table`. */
  readonly captures: (table: string) => boolean;
  readonly log: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
  };
  /** Hands a resource to the run, which releases it if the run ends (or is abandoned) meanwhile. */
  readonly hold: (what: string, release: () => Promise<unknown>) => void;
}

interface QueuedTable {
  readonly table: string;
  signalId: string;
  lastKey: readonly (string | null)[] | undefined;
  rowsDone: number;
}

interface OpenChunk {
  readonly entry: QueuedTable;
  readonly chunk: WatermarkedChunk;
  readonly window: SnapshotWindow;
}

const sameColumns = (a: Relation, b: Relation): boolean =>
  a.columns.length === b.columns.length &&
  a.columns.every((c, i) => c.name === b.columns[i].name && c.typeOid === b.columns[i].typeOid);

/**
 * Incremental snapshots while streaming (Debezium's `execute-snapshot` signal, DBLog's watermarks):
 * tables asked for through the signal table are read again chunk by chunk, each chunk read while the
 * stream waits and followed by a high watermark written to the WAL. The stream is fed through
 * `observe` before the streaming phase handles each message: a streamed change of a chunk's key
 * between the read and the high watermark drops that row (the streamed event is as new or newer;
 * see `SnapshotWindow`), and at the high watermark the rows left are emitted as
 * `op: r` events with `source.snapshot = incremental`. So a key's events are never reordered, and
 * streaming never stops for longer than one chunk's SELECT.
 *
 * Progress is kept in `IncrementalSnapshotState`, saved once the slot is confirmed past a chunk;
 * after a restart the snapshot continues from the last saved chunk. Exactly once, each chunk's
 * progress also rides in the offsets record committed in the Kafka transaction that carries the
 * chunk's events (`offsetProgress`), and a restart continues from there: no chunk is repeated or
 * skipped.
 */
export class IncrementalSnapshot {
  private readonly queue: QueuedTable[] = [];
  private readonly streamed = new StreamedTransactions();
  /** A chunk was asked for inside a transaction: it is read at that transaction's end. */
  private startWhenOutside = false;
  private stopping = false;
  private current: OpenChunk | undefined;
  /** The stream's latest description of each relation (a chunk may need another one for a moment). */
  private readonly streamRelations = new Map<number, Relation>();
  /** Relations of the signal and state tables: read here, never published. */
  private readonly internal = new Set<number>();
  private readonly saves: Array<{ readonly lsn: Lsn; readonly run: () => Promise<void> }> = [];
  private saving: Promise<void> = Promise.resolve();
  private progress = new SnapshotProgress();
  /** Exactly once: each table's progress as of the last offsets record built. */
  private readonly recorded = new Map<string, DeliveredSnapshotProgress>();
  /** Progress of chunks emitted and not yet in an offsets record, by the chunk's position. */
  private readonly unrecorded: Array<{
    readonly lsn: Lsn;
    readonly table: string;
    readonly progress: DeliveredSnapshotProgress;
  }> = [];

  private constructor(
    private readonly context: IncrementalSnapshotContext,
    private readonly session: PostgresSession,
    private readonly reader: WatermarkedChunkReader,
  ) {}

  /** Connects and picks up the tables a previous run had not finished. */
  static async open(context: IncrementalSnapshotContext): Promise<IncrementalSnapshot> {
    const session = await PostgresSession.connect(context.connection, 'sluice-incremental-snapshot');
    const snapshot = new IncrementalSnapshot(context, session, new WatermarkedChunkReader(session));
    // Held from the connect on: a run abandoned while the state loads still closes the session.
    context.hold('closing the incremental snapshot', () => snapshot.close());
    try {
      for (const entry of await context.state.load(session)) {
        const queued = await snapshot.reconcile({ ...entry });
        if (queued !== undefined) snapshot.queue.push(queued);
      }
      // Tables done in Kafka stay recorded (unless queued again by a newer signal), so a replayed
      // signal of theirs does not start them over.
      for (const [table, delivered] of Object.entries(context.delivered ?? {}))
        if (delivered.done && !snapshot.recorded.has(table)) snapshot.recorded.set(table, delivered);
      if (snapshot.queue.length > 0) {
        context.log.info({ tables: snapshot.queue.map((q) => q.table) }, 'incremental snapshot resumed');
        await snapshot.startNext();
      }
      return snapshot;
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  /**
   * Exactly once: the progress of every table as of position `lsn`, for the offsets record committed
   * with the events up to `lsn` (undefined when there is none to record). A chunk counts once `lsn`
   * reaches its high watermark: the position is confirmable only when the chunk's own events are
   * acknowledged, because nothing streamed before the watermark ends at or past it (a logical
   * message's LSN is the end of its own record, past the commit before it).
   */
  offsetProgress(lsn: Lsn): DeliveredSnapshot | undefined {
    while (this.unrecorded.length > 0 && !lsn.isBefore(this.unrecorded[0].lsn)) {
      const { table, progress } = this.unrecorded.shift()!;
      this.recorded.set(table, progress);
    }
    return this.recorded.size === 0 ? undefined : Object.fromEntries(this.recorded);
  }

  /**
   * A table loaded from the state table, brought up to the progress committed in Kafka with the
   * source offset (same signal): that one counts, the state table may be a chunk behind. Undefined:
   * the table is done in Kafka (its state row is removed).
   */
  private async reconcile(entry: QueuedTable): Promise<QueuedTable | undefined> {
    const delivered = this.context.delivered?.[entry.table];
    if (delivered !== undefined && delivered.signalId === entry.signalId) {
      if (delivered.done) {
        await this.context.state.remove(this.session, entry.table);
        return undefined;
      }
      if (delivered.lastKey !== undefined && delivered.rowsDone > entry.rowsDone) {
        entry.lastKey = delivered.lastKey;
        entry.rowsDone = delivered.rowsDone;
        await this.context.state.saveProgress(
          this.session,
          entry.table,
          delivered.lastKey,
          delivered.rowsDone,
        );
      }
    }
    if (entry.lastKey !== undefined)
      this.recorded.set(entry.table, {
        signalId: entry.signalId,
        lastKey: entry.lastKey,
        rowsDone: entry.rowsDone,
      });
    return entry;
  }

  /** A transaction the stream delivered (its Begin): a chunk read must see it (`readChunk`). */
  noteBegin(xid: number): void {
    this.streamed.begin(xid);
  }

  /**
   * The stream left the transaction it was inside (its Commit, handled). A chunk asked for inside it
   * (a signal, a table's new shape) is read now: a read inside a transaction would miss that
   * transaction's own changes before it, published already, if the transaction is not yet visible
   * (a synchronous standby); at its end the read waits for it like any delivered transaction.
   */
  transactionEnded(): Promise<void> | undefined {
    this.streamed.end();
    if (!this.startWhenOutside) return undefined;
    this.startWhenOutside = false;
    return this.current === undefined ? this.startNext() : undefined;
  }

  /** Opens the next chunk now, or once the stream is out of the transaction it is inside. */
  private async startSoon(): Promise<void> {
    if (this.streamed.current !== undefined) this.startWhenOutside = true;
    else if (this.current === undefined) await this.startNext();
  }

  /**
   * Whether the chunk's read saw the transaction the stream is inside, completed. A change that becomes
   * no event keeps its chunk rows only then (the read holds it already); one the read may not have
   * seen drops them, or the read's older row would be published with nothing after it.
   */
  private readSawCurrent(open: OpenChunk): boolean {
    const xid = this.streamed.current;
    return xid !== undefined && open.chunk.readAfter !== undefined && completedIn(open.chunk.readAfter, xid);
  }

  /** The source stops: a chunk read waiting for a delivered commit to become visible gives up. */
  stopReading(): void {
    this.stopping = true;
  }

  /** Tables of Sluice's own bookkeeping (signal, state): never captured. */
  static isBookkeeping(name: TableName, signals: SignalTable, state: IncrementalSnapshotState): boolean {
    return (
      qualifiedName(name) === qualifiedName(signals.name) || qualifiedName(name) === qualifiedName(state.name)
    );
  }

  /**
   * Whether `observe` must see `message` (checked per message without awaiting: when no snapshot
   * runs, only relation messages and the bookkeeping tables' changes need it).
   */
  wants(message: PgOutputMessage): boolean {
    if (this.current !== undefined || message.type === 'relation') return true;
    return (
      (message.type === 'insert' || message.type === 'update' || message.type === 'delete') &&
      this.internal.has(message.relation.relationId)
    );
  }

  /**
   * Sees a streamed message before the streaming phase does. Returns true when the message belongs
   * to the signal or state table (acted upon here, not published). `published`: false for a change
   * that becomes no event (its transaction's origin or its operation is skipped), which must not
   * drop a chunk row the read already holds it in: that row would then reach Kafka from neither side.
   */
  async observe(message: PgOutputMessage, published = true): Promise<boolean> {
    switch (message.type) {
      case 'relation':
        return this.onRelation(message.relation);
      case 'insert':
        if (!this.internal.has(message.relation.relationId)) break;
        if (this.context.signals.matches(message.relation)) await this.onSignal(message);
        return true;
      case 'update':
      case 'delete':
        if (this.internal.has(message.relation.relationId)) return true;
        break;
      default:
        break;
    }
    const open = this.current;
    if (open === undefined) return false;
    const rows = open.window.observe(message, !published && this.readSawCurrent(open));
    if (rows !== undefined && message.type === 'message') {
      // Its progress is noted before its events can commit: the offsets record at or after this
      // position carries it, in the same Kafka transaction as the chunk's last events.
      this.noteProgress(open, message.lsn);
      await this.emit(open, rows, message.lsn);
      await this.advance(open, message.lsn);
    }
    return false;
  }

  /** The slot was confirmed up to `lsn`: the progress of chunks before it can be saved. */
  onConfirmed(lsn: Lsn): void {
    while (this.saves.length > 0 && !lsn.isBefore(this.saves[0].lsn)) {
      const { run } = this.saves.shift()!;
      this.saving = this.saving.then(run).catch((error: unknown) =>
        // Not fatal: the chunk is read again after a restart, and its rows are sent twice.
        this.context.log.warn({ err: error }, 'incremental snapshot progress not saved'),
      );
    }
  }

  status(): SnapshotStatus | undefined {
    if (this.current === undefined && this.queue.length === 0) return undefined;
    return { kind: 'incremental', ...this.progress.view, queuedTables: this.queue.map((q) => q.table) };
  }

  async close(): Promise<void> {
    await this.saving;
    await this.session.close();
  }

  private async onRelation(relation: Relation): Promise<boolean> {
    const name = { schema: relation.schema, table: relation.table };
    if (IncrementalSnapshot.isBookkeeping(name, this.context.signals, this.context.state)) {
      this.internal.add(relation.relationId);
      return true;
    }
    this.streamRelations.set(relation.relationId, relation);
    const open = this.current;
    if (open && open.chunk.table.relation.relationId === relation.relationId) {
      if (!sameColumns(open.chunk.table.relation, relation)) {
        // The table changed shape under an open window: its rows and the stream's tuples no longer
        // line up. Read the chunk again with the table as it is now.
        this.current = undefined;
        await this.startSoon();
      }
    }
    return false;
  }

  private async onSignal(message: Extract<PgOutputMessage, { type: 'insert' }>): Promise<void> {
    let signal: Signal;
    try {
      signal = this.context.signals.parse(message);
    } catch (error) {
      if (!(error instanceof InvalidSignalError)) throw error;
      this.context.log.warn({ err: error }, `signal ignored: ${error.message}`);
      return;
    }
    if (isExecuteSnapshot(signal))
      return this.execute(signal.id, signal.dataCollections, signal.snapshotType);
    if (signal.type === 'stop-snapshot') return this.stop(signal.id, signal.data);
    this.context.log.info({ signal: signal.id, type: signal.type }, 'signal ignored: type not supported');
  }

  private async execute(signalId: string, collections: readonly string[], kind: string): Promise<void> {
    if (kind === 'blocking')
      this.context.log.warn({ signal: signalId }, 'blocking snapshots are run incrementally');
    const unknown = collections.filter((t) => !this.context.captures(t));
    if (unknown.length > 0)
      this.context.log.warn({ signal: signalId, tables: unknown }, 'snapshot asked for tables not captured');
    // A replayed signal whose tables Kafka already holds whole (exactly once) is not run again.
    const tables = [...new Set(collections.filter((t) => this.context.captures(t)))].filter((t) => {
      const recorded = this.recorded.get(t);
      return !(recorded?.done === true && recorded.signalId === signalId);
    });
    if (tables.length === 0) return;
    const restarted = new Set(await this.context.state.request(this.session, signalId, tables));
    for (const table of tables) {
      const queued = this.queue.find((q) => q.table === table);
      if (queued === undefined) {
        this.queue.push({ table, signalId, lastKey: undefined, rowsDone: 0 });
      } else if (restarted.has(table)) {
        Object.assign(queued, { signalId, lastKey: undefined, rowsDone: 0 });
        // Its open window was read from the old position: start over now.
        if (this.current?.entry === queued) this.current = undefined;
      }
    }
    this.context.log.info({ signal: signalId, tables }, 'incremental snapshot requested');
    await this.startSoon();
  }

  private async stop(signalId: string, data: unknown): Promise<void> {
    const named = (data as { 'data-collections'?: unknown } | null)?.['data-collections'];
    const tables = Array.isArray(named) ? named.map(String) : this.queue.map((q) => q.table);
    for (const table of tables) {
      const at = this.queue.findIndex((q) => q.table === table);
      if (at < 0) continue;
      const [entry] = this.queue.splice(at, 1);
      if (this.current?.entry === entry) this.current = undefined;
      await this.context.state.remove(this.session, table);
    }
    this.context.log.info({ signal: signalId, tables }, 'incremental snapshot stopped');
    await this.startSoon();
  }

  /** Opens the next chunk of the first queued table, skipping tables that are done or gone. */
  private async startNext(): Promise<void> {
    while (this.current === undefined && this.queue.length > 0) {
      const entry = this.queue[0];
      const [schema, ...rest] = entry.table.split('.');
      const name = { schema, table: rest.join('.') };
      let table: SnapshotTable;
      try {
        table = await describeTable(this.session, name);
      } catch (error) {
        this.context.log.warn(
          { err: error, table: entry.table },
          'incremental snapshot skips a missing table',
        );
        await this.finish(entry);
        continue;
      }
      if (!this.progress.view.tables.some((t) => t.table === entry.table))
        this.progress.addTable(name, table.estimatedRows);
      const chunk = await this.readChunk(table, entry);
      if (chunk.rows.length === 0) {
        await this.finish(entry);
        continue;
      }
      this.current = { entry, chunk, window: new SnapshotWindow(chunk) };
    }
  }

  /**
   * The next chunk of `entry`'s table, read again while a transaction the stream already delivered
   * is not yet visible to it (a commit waiting for a synchronous standby's acknowledgement).
   */
  private async readChunk(table: SnapshotTable, entry: QueuedTable): Promise<WatermarkedChunk> {
    const started = Date.now();
    let warned = false;
    for (let attempt = 1; ; attempt++) {
      // A stop does not wait for a commit that may never become visible.
      if (this.stopping) throw new Error('the source is stopping: no incremental snapshot chunk is read');
      const read = await this.reader.readChunk(table, entry.lastKey, this.context.chunkSize, this.streamed);
      if (!('waitingFor' in read)) {
        this.streamed.forgetSeen();
        return read;
      }
      if (!warned && Date.now() - started >= STALE_READ_WARN_MS) {
        warned = true;
        this.context.log.warn(
          { table: entry.table, xid: read.waitingFor },
          'incremental snapshot waits for a transaction the stream delivered but queries cannot see yet (a synchronous standby not acknowledging?)',
        );
      }
      await sleepFor(nextDelay(STALE_READ_BACKOFF, attempt));
    }
  }

  /** The chunk's rows left after deduplication, as snapshot reads, confirmed at the high watermark. */
  private async emit(open: OpenChunk, rows: readonly (string | null)[][], lsn: Lsn): Promise<void> {
    const { tables, builder, publisher, window } = this.context;
    const relation = open.chunk.table.relation;
    const streamed = this.streamRelations.get(relation.relationId);
    const borrowed = streamed === undefined || !sameColumns(streamed, relation);
    if (borrowed) await tables.describe(relation);
    const schema = tables.schemaOf(relation.relationId);
    const tx = window.open();
    const position = { lsn, commitTimeMicros: BigInt(Date.now()) * 1000n, snapshot: 'incremental' as const };
    for (const row of rows) {
      const [event] = builder.read(schema, row, position);
      // Undefined: left out (event.processing.failure.handling.mode).
      if (event !== undefined) await deliver(this.context, relation.relationId, event, tx);
    }
    publisher.close(tx, lsn);
    this.context.onEvents(rows.length);
    // The stream's own description stays in force for the stream's next changes.
    if (borrowed && streamed !== undefined) await tables.describe(streamed);
  }

  /** The progress after `open`'s chunk, recorded with the offset at `lsn` (exactly once). */
  private noteProgress(open: OpenChunk, lsn: Lsn): void {
    if (!this.context.exactlyOnce) return;
    const { entry, chunk } = open;
    this.unrecorded.push({
      lsn,
      table: entry.table,
      progress: {
        signalId: entry.signalId,
        ...(chunk.lastKey !== undefined && { lastKey: chunk.lastKey }),
        rowsDone: entry.rowsDone + chunk.rows.length,
        ...(chunk.rows.length < this.context.chunkSize && { done: true }),
      },
    });
  }

  private async advance(open: OpenChunk, lsn: Lsn): Promise<void> {
    const { entry, chunk } = open;
    const name = { schema: chunk.table.relation.schema, table: chunk.table.relation.table };
    this.current = undefined;
    entry.rowsDone += chunk.rows.length;
    entry.lastKey = chunk.lastKey;
    this.progress.record(name, chunk.rows.length);
    if (chunk.rows.length < this.context.chunkSize) {
      this.progress.completeTable(name);
      await this.finish(entry, lsn);
    } else {
      const { lastKey, rowsDone } = entry;
      this.saves.push({
        lsn,
        run: () => this.context.state.saveProgress(this.session, entry.table, lastKey!, rowsDone),
      });
    }
    await this.startNext();
  }

  /**
   * Takes a table off the queue. Its state row goes once the slot passed `lsn` — or the last chunk
   * still unconfirmed — so a crash before Kafka holds the last rows reads them again.
   */
  private async finish(entry: QueuedTable, lsn?: Lsn): Promise<void> {
    const at = this.queue.indexOf(entry);
    if (at >= 0) this.queue.splice(at, 1);
    this.context.log.info(
      { table: entry.table, rows: entry.rowsDone },
      'incremental snapshot of a table complete',
    );
    const remove = () => this.context.state.remove(this.session, entry.table);
    const after = lsn ?? this.saves.at(-1)?.lsn;
    if (after === undefined) await remove();
    else this.saves.push({ lsn: after, run: remove });
  }
}
