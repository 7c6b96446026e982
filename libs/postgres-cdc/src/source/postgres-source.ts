import type { Admin, Kafka, Producer } from 'kafkajs';
import {
  DeadlineExceededError,
  isRetriable,
  nextDelay,
  RetriableError,
  SluiceError,
  withDeadline,
} from '@sluice/errors';
import { createProducer, TopicProvisioner } from '@sluice/kafka';
import { type LivenessView, ProgressWatchdog } from '@sluice/observability';
import type { SchemaRegistryClient } from '@sluice/schema';
import type { SourceConfig } from '../config/source-config';
import { ChangeEventBuilder } from '../events/change-event-builder';
import type { ColumnMask } from '../values/column-converter';
import { TransactionMetadata } from '../events/transaction-metadata';
import { Heartbeat } from '../heartbeat/heartbeat';
import { Lsn } from '../lsn/lsn';
import { AcknowledgementWindow } from '../offsets/acknowledgement-window';
import type { Relation } from '../pgoutput/pgoutput-message';
import { ChangeEventPublisher } from '../publishing/change-event-publisher';
import type { PostgresConnectionOptions } from '../replication/postgres-connection-options';
import { PostgresSession } from '../replication/postgres-session';
import { Publication, type PublicationScope } from '../replication/publication';
import { listTables, ReplicationPreflight } from '../replication/replication-preflight';
import { ReplicationConnection } from '../replication/replication-connection';
import { ReplicationSlot } from '../replication/replication-slot';
import type { ReplicationStream } from '../replication/replication-stream';
import { selectTables, tablePattern, type TableName } from '../replication/table-name';
import { randomUUID } from 'node:crypto';
import { IncrementalSnapshotState } from '../snapshot/incremental-snapshot-state';
import { SignalTable } from '../snapshot/signal-table';
import { SnapshotProgress } from '../snapshot/snapshot-progress';
import { SnapshotReader } from '../snapshot/snapshot-reader';
import { TypeCatalog } from '../types/type-catalog';
import { CapturedTables } from './captured-tables';
import { IncrementalSnapshot } from './incremental-snapshot';
import { SnapshotPhase } from './snapshot-phase';
import type { HeldTable, SourcePhase, SourceStatus } from './source-status';
import { sourceEventsCounter, sourceRestartsCounter } from './source-metrics';
import { StreamingPhase } from './streaming-phase';

/** What the source logs; pino's logger fits. */
export interface SourceLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface PostgresSourceDependencies {
  readonly kafka: Kafka;
  readonly registry: SchemaRegistryClient;
  readonly log: SourceLog;
  /** `source.version` in events. */
  readonly version?: string;
}

/** An operator named a table this source does not capture. */
export class UnknownTableError extends SluiceError {
  readonly code = 'SOURCE_TABLE_UNKNOWN';
  readonly retriable = false;
  constructor(readonly table: string) {
    super(`Table ${table} is not captured by this source`);
  }
}

/** An incremental snapshot was asked for, and the source has no signal table to carry it. */
export class SignalsNotConfiguredError extends SluiceError {
  readonly code = 'SOURCE_SIGNALS_NOT_CONFIGURED';
  readonly retriable = false;
  constructor() {
    super('Incremental snapshots need a signal table: set signals.table in the source configuration');
  }
}

/** Thrown into a run when the source stops or pauses; not a failure. */
class Stopped extends Error {}

/** How long each part of a run's clean-up may take before it is abandoned (a dead broker or database). */
const RELEASE_DEADLINE_MS = 5_000;

/**
 * The Postgres source connector (Debezium's PostgresConnectorTask): checks the database, creates
 * the publication and slot when missing, snapshots, then streams — and when a dependency fails,
 * waits (doubling, capped) and starts again from the slot's confirmed position, which redelivers
 * exactly the events Kafka had not acknowledged. A problem no retry can fix (permissions,
 * wal_level, a table without a key) stops it in phase `failed` with the reason in `status()`.
 *
 * Snapshot consistency without an offset store: the initial snapshot reads from a *temporary* slot's
 * exported snapshot; only when every snapshot event is in Kafka is that slot copied into the
 * permanent one. A permanent slot therefore means "snapshot complete", and a crash mid-snapshot
 * leaves no slot, so the next start snapshots again.
 */
export class PostgresSource {
  private phase: SourcePhase = 'starting';
  private stopping = false;
  private paused = false;
  private resumeWaiters: Array<() => void> = [];
  private running: Promise<void> | undefined;
  private lastError: SourceStatus['lastError'];
  private retryAt: Date | undefined;
  private wakeRetry: (() => void) | undefined;
  private eventsPublished = 0;
  /** Events Kafka acknowledged, over every run: the progress the watchdog looks for. */
  private eventsAcknowledged = 0;
  /** Rejects the run under way (a stall): it is abandoned, its resources released. */
  private interruptRun: ((error: Error) => void) | undefined;
  private readonly watchdog: ProgressWatchdog;
  private readonly restartsCounter: { inc(labels: { reason: string }): void };
  private currentLsn: Lsn | undefined;
  private confirmedLsn: Lsn | undefined;
  private stream: ReplicationStream | undefined;
  private publisher: ChangeEventPublisher | undefined;
  private tables: CapturedTables | undefined;
  private snapshot: SnapshotProgress | undefined;
  private incremental: IncrementalSnapshot | undefined;
  /** `schema.table` of every table this source captures (set once connected). */
  private captured = new Set<string>();
  private readonly signals: { table: SignalTable; state: IncrementalSnapshotState } | undefined;
  /** Operators' `new-subject` decisions, kept across reconnects (each run builds new CapturedTables). */
  private readonly subjectGenerations = new Map<string, number>();
  private readonly connection: PostgresConnectionOptions;
  private readonly eventsCounter: { inc(value?: number): void };

  constructor(
    private readonly config: SourceConfig,
    private readonly deps: PostgresSourceDependencies,
  ) {
    const pg = config.postgres;
    this.connection = {
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
      database: pg.database,
      connectTimeoutMs: pg.connectTimeoutMs,
    };
    const signalTable = config.signals.table;
    if (signalTable !== undefined) {
      const [schema, table] = signalTable.split('.');
      const name = { schema, table };
      this.signals = {
        table: new SignalTable(name),
        state: new IncrementalSnapshotState(name, config.topicPrefix),
      };
    }
    this.eventsCounter = sourceEventsCounter(config.topicPrefix);
    this.restartsCounter = sourceRestartsCounter(config.topicPrefix);
    this.watchdog = new ProgressWatchdog(() => this.progress(), {
      stallAfterMs: config.liveness.stallAfterMs,
    });
    this.watchdog.onStall((view) => this.onStall(view));
  }

  /** What the watchdog sees: work waits while the source starts, snapshots, or has events unacknowledged. */
  private progress() {
    const pending = this.publisher?.pending ?? 0;
    const phase = this.phase;
    const waitingOn =
      phase === 'starting'
        ? 'start-up (Postgres checks, the slot, Kafka and the registry)'
        : pending > 0
          ? `Kafka to acknowledge ${pending} events`
          : phase === 'snapshotting'
            ? 'the snapshot to read rows'
            : 'nothing';
    return {
      waiting:
        !this.paused &&
        (phase === 'starting' || phase === 'snapshotting' || (phase === 'streaming' && pending > 0)),
      progress: `${phase}|${this.eventsAcknowledged}|${this.confirmedLsn?.toString() ?? ''}|${this.snapshot?.view.rowsDone ?? 0}`,
      waitingOn,
    };
  }

  /**
   * A run that moved nothing for `liveness.stallAfterMs` is abandoned and started again from the
   * slot's confirmed position (the lifecycle's retry), so a client stuck for good cannot stop the
   * source. The liveness probe fails meanwhile; the restart usually ends the stall first.
   */
  private onStall(view: LivenessView): void {
    if (this.interruptRun === undefined) return;
    const message = `no progress for ${Math.round((view.waitingForMs ?? 0) / 1000)} s waiting on ${view.waitingOn}`;
    this.deps.log.error(
      { liveness: view },
      `source stalled: ${message}; restarting from the confirmed position`,
    );
    this.restartsCounter.inc({ reason: 'stalled' });
    this.interruptRun(new RetriableError(`source stalled: ${message}`, { code: 'SOURCE_STALLED' }));
  }

  /** Progress-based liveness, for `/health/live` and `/status`. */
  get liveness(): ProgressWatchdog {
    return this.watchdog;
  }

  /** Starts the source in the background; `status()` tells how it goes. */
  start(): void {
    this.watchdog.start();
    this.running ??= this.lifecycle().finally(() => this.watchdog.stop());
  }

  /** Resolves when the source stopped for good (stop, initial_only done, or failed). */
  async done(): Promise<void> {
    await this.running;
  }

  /** Stops reading, lets Kafka acknowledge what is in flight, confirms it to the slot, and ends. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeRetry?.();
    this.release();
    try {
      await this.publisher?.flush();
    } catch {
      // Unacknowledged events are redelivered from the slot next time.
    }
    await this.stream?.stop().catch(() => undefined);
    await this.running;
  }

  pause(): void {
    if (this.phase === 'stopped' || this.phase === 'failed') return;
    this.paused = true;
  }

  /** True between `pause()` and `resume()` (also while a pause waits for streaming to begin). */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Stops the capture as `stop()` does (in-flight events acknowledged and confirmed to the slot)
   * and starts it again in this process from the slot's confirmed position. A pause outlives it.
   */
  async restart(): Promise<void> {
    await this.stop();
    this.stopping = false;
    this.running = undefined;
    this.lastError = undefined;
    this.phase = 'starting';
    this.start();
  }

  resume(): void {
    this.paused = false;
    this.release();
  }

  /** The operator's decision on a held table; see `CapturedTables.resume`. */
  async resumeTable(table: string, action: 'retry' | 'new-subject'): Promise<void> {
    const tables = this.tables;
    const publisher = this.publisher;
    if (tables === undefined || publisher === undefined || !tables.has(table)) {
      throw new UnknownTableError(table);
    }
    const released = await tables.resume(table, action);
    if (released === undefined) return; // still refused: status says why
    for (const { send, tx } of released) await publisher.publishHeld(send, tx);
    this.deps.log.info({ table, action, events: released.length }, 'held table resumed');
  }

  /**
   * Asks for an incremental snapshot of `tables` (schema.table) by writing Debezium's
   * `execute-snapshot` signal into the signal table: the request is durable and takes its place in
   * the stream. Resolves to the signal's id.
   */
  async requestSnapshot(tables: readonly string[]): Promise<string> {
    if (this.signals === undefined) throw new SignalsNotConfiguredError();
    for (const table of tables) if (!this.captured.has(table)) throw new UnknownTableError(table);
    const id = randomUUID();
    const session = await PostgresSession.connect(this.connection, 'sluice-signal');
    try {
      await this.signals.table.send(session, {
        id,
        type: 'execute-snapshot',
        data: { 'data-collections': tables, type: 'incremental' },
      });
    } finally {
      await session.close();
    }
    this.deps.log.info({ signal: id, tables }, 'incremental snapshot signal written');
    return id;
  }

  status(): SourceStatus {
    const position = this.stream?.position;
    const snapshot =
      this.phase === 'snapshotting' && this.snapshot
        ? { kind: 'initial' as const, ...this.snapshot.view }
        : this.incremental?.status();
    return {
      name: this.config.topicPrefix,
      phase: this.paused && this.phase === 'streaming' ? 'paused' : this.phase,
      slot: this.config.slot.name,
      publication: this.config.publication.name,
      currentLsn: this.currentLsn?.toString(),
      confirmedLsn: this.confirmedLsn?.toString(),
      lagBytes:
        position && this.confirmedLsn && position.serverWalEnd.isAfter(this.confirmedLsn)
          ? Number(position.serverWalEnd.toBigInt() - this.confirmedLsn.toBigInt())
          : position
            ? 0
            : undefined,
      eventsPublished: this.eventsPublished,
      eventsPending: (this.publisher?.pending ?? 0) + (this.tables?.heldEventCount() ?? 0),
      snapshot,
      heldTables: this.tables?.held() ?? [],
      lastError: this.lastError,
      retryAt: this.phase === 'retrying' ? this.retryAt?.toISOString() : undefined,
      liveness: this.watchdog.observe(),
    };
  }

  private async lifecycle(): Promise<void> {
    const { initialDelayMs, maxDelayMs } = this.config.restart;
    let failures = 0;
    while (!this.stopping) {
      const startedAt = Date.now();
      try {
        const finished = await this.runOnce();
        if (finished || this.stopping) break;
      } catch (error) {
        if (this.stopping || error instanceof Stopped) break;
        const retriable = !(error instanceof SluiceError) || isRetriable(error);
        const message = error instanceof Error ? error.message : String(error);
        this.lastError = { message, at: new Date().toISOString(), retriable };
        if (!retriable) {
          this.phase = 'failed';
          this.deps.log.error({ err: error }, `source failed: ${message}`);
          return;
        }
        // A run that lasted a while resets the backoff: the failure is new, not a loop.
        if (Date.now() - startedAt > maxDelayMs) failures = 0;
        if (!(error instanceof RetriableError && error.code === 'SOURCE_STALLED'))
          this.restartsCounter.inc({ reason: 'failure' });
        const delay = nextDelay({ initialDelayMs, maxDelayMs, multiplier: 2, jitter: 'none' }, ++failures);
        this.phase = 'retrying';
        this.retryAt = new Date(Date.now() + delay);
        this.deps.log.warn({ err: error, retryInMs: delay }, `source interrupted, retrying: ${message}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    this.phase = this.phase === 'failed' ? 'failed' : 'stopped';
  }

  /**
   * One connected life, which a stall can interrupt: whatever the run still waits on is abandoned
   * and what it holds (connections, producer, slot stream) is released, each within a deadline.
   */
  private async runOnce(): Promise<boolean> {
    this.phase = 'starting';
    const held: Array<{ readonly what: string; readonly release: () => Promise<unknown> }> = [];
    const interrupted = new Promise<never>((_, reject) => (this.interruptRun = reject));
    interrupted.catch(() => undefined);
    const run = this.connectAndStream((what, release) => held.push({ what, release }));
    run.catch(() => undefined);
    try {
      return await Promise.race([run, interrupted]);
    } finally {
      this.interruptRun = undefined;
      if (this.stream !== undefined)
        held.push({ what: 'stopping the slot stream', release: () => this.stream!.stop() });
      for (const { what, release } of held.reverse())
        await withDeadline(release(), RELEASE_DEADLINE_MS, what).catch((error: unknown) => {
          // Released twice (normal clean-up ran too) is fine; only a hang is worth a line.
          if (error instanceof DeadlineExceededError)
            this.deps.log.warn({ err: error }, `abandoned: ${what}`);
        });
      this.stream = undefined;
    }
  }

  /** Setup, maybe snapshot, stream until failure or stop. True when finished for good. */
  private async connectAndStream(
    hold: (what: string, release: () => Promise<unknown>) => void,
  ): Promise<boolean> {
    const { config } = this;
    const session = await PostgresSession.connect(this.connection, 'sluice-source');
    hold('closing the Postgres session', () => session.close());
    const admin = this.deps.kafka.admin();
    hold('disconnecting the Kafka admin client', () => admin.disconnect());
    let producer: Producer | undefined;
    let heartbeat: Heartbeat | undefined;
    let incremental: IncrementalSnapshot | undefined;
    try {
      const signals = this.signals;
      if (signals !== undefined) {
        await signals.table.create(session);
        await signals.state.create(session);
      }
      const tables = selectTables(
        await listTables(session),
        config.tables.include,
        config.tables.exclude,
      ).filter(
        (t) => signals === undefined || !IncrementalSnapshot.isBookkeeping(t, signals.table, signals.state),
      );
      this.captured = new Set(tables.map((t) => `${t.schema}.${t.table}`));
      await this.ensurePublication(session, signals ? [...tables, signals.table.name] : tables);
      const preflight = new ReplicationPreflight(session);
      let slotState = await this.preflight(preflight, session, tables);
      await admin.connect();
      producer = createProducer(this.deps.kafka);
      const connected = producer;
      hold('disconnecting the Kafka producer', () => connected.disconnect());
      await producer.connect();
      const window = new AcknowledgementWindow();
      const publisher = new ChangeEventPublisher(producer, window, {
        ...config.publishing,
        onAcknowledged: (events) => (this.eventsAcknowledged += events),
        onConfirmable: (lsn) => {
          this.confirmedLsn = lsn;
          this.stream?.acknowledge(lsn);
          this.incremental?.onConfirmed(lsn);
        },
      });
      const captured = this.capturedTables(session, admin, await this.typeCatalog(session));
      this.publisher = publisher;
      this.tables = captured;
      const builder = new ChangeEventBuilder({
        tombstonesOnDelete: config.events.tombstonesOnDelete,
        connectorVersion: this.deps.version,
      });
      const common = {
        tables: captured,
        builder,
        publisher,
        window,
        whilePaused: () => this.whilePaused(),
        onEvents: (n: number) => {
          this.eventsPublished += n;
          this.eventsCounter.inc(n);
        },
      };

      if (slotState === undefined && config.snapshot.mode !== 'never') {
        await this.snapshotIntoNewSlot(
          session,
          tables,
          { ...common, chunkSize: config.snapshot.chunkSize },
          hold,
        );
        if (config.snapshot.mode === 'initial_only') return true;
        slotState = await new ReplicationSlot(session, config.slot.name).state();
      } else if (slotState === undefined) {
        const creator = await ReplicationConnection.connect(this.connection);
        await creator.createSlot(config.slot.name, { exportSnapshot: false }).finally(() => creator.close());
        this.deps.log.info({ slot: config.slot.name }, 'replication slot created (snapshot mode never)');
      }

      const transactions = config.events.transactionMetadata
        ? await TransactionMetadata.create(config.topicPrefix, this.deps.registry, (topic) =>
            this.provisionTopic(admin, topic),
          )
        : undefined;
      heartbeat = new Heartbeat(session, {
        intervalMs: config.heartbeat.intervalMs,
        actionQuery: config.heartbeat.actionQuery,
        onError: (error) => this.deps.log.warn({ err: error }, 'heartbeat failed'),
      });
      const beating = heartbeat;
      hold('stopping the heartbeat', () => beating.stop());
      const replication = await ReplicationConnection.connect(this.connection);
      hold('closing the replication connection', () => replication.close());
      this.stream = await replication.startReplication({
        slot: config.slot.name,
        publications: [config.publication.name],
        maxBufferedMessages: Math.max(1000, Math.floor(config.publishing.maxPendingEvents / 4)),
      });
      this.confirmedLsn ??= slotState?.confirmedFlushLsn;
      if (signals !== undefined) {
        incremental = await IncrementalSnapshot.open({
          ...common,
          connection: this.connection,
          signals: signals.table,
          state: signals.state,
          chunkSize: config.snapshot.incrementalChunkSize,
          captures: (table) => this.captured.has(table),
          log: this.deps.log,
        });
        this.incremental = incremental;
        const opened = incremental;
        hold('closing the incremental snapshot', () => opened.close());
      }
      heartbeat.start();
      this.phase = 'streaming';
      this.lastError = undefined;
      this.deps.log.info({ slot: config.slot.name, from: this.confirmedLsn?.toString() }, 'streaming');
      await new StreamingPhase({
        ...common,
        transactions,
        incremental,
        database: config.postgres.database,
        onPosition: (lsn) => (this.currentLsn = lsn),
      }).run(this.stream);
      return this.stopping;
    } finally {
      if (this.incremental === incremental) this.incremental = undefined;
    }
  }

  private async preflight(
    preflight: ReplicationPreflight,
    session: PostgresSession,
    tables: readonly TableName[],
  ) {
    const target = {
      database: this.config.postgres.database,
      slot: this.config.slot.name,
      publication: this.config.publication.name,
      tables,
    };
    try {
      return (await preflight.run(target)).slot;
    } catch (error) {
      // when_needed: a slot whose WAL is gone cannot resume; snapshot again from a new one.
      if (
        this.config.snapshot.mode === 'when_needed' &&
        error instanceof SluiceError &&
        error.code === 'PG_SLOT_INVALIDATED'
      ) {
        this.deps.log.warn(
          { slot: this.config.slot.name },
          'slot invalidated; dropping it to snapshot again',
        );
        await new ReplicationSlot(session, this.config.slot.name).drop();
        return (await preflight.run(target)).slot;
      }
      throw error;
    }
  }

  private async ensurePublication(session: PostgresSession, tables: readonly TableName[]): Promise<void> {
    const { publication } = this.config;
    if (publication.autocreate === 'disabled') return;
    const scope: PublicationScope =
      publication.autocreate === 'all_tables' ? { kind: 'all-tables' } : { kind: 'tables', tables };
    const change = await new Publication(session, publication.name).ensure(scope);
    if (change.created || change.added.length > 0) {
      this.deps.log.info(
        {
          publication: publication.name,
          created: change.created,
          added: change.added.map((t) => `${t.schema}.${t.table}`),
        },
        'publication updated',
      );
    }
  }

  private async snapshotIntoNewSlot(
    session: PostgresSession,
    tables: readonly TableName[],
    context: ConstructorParameters<typeof SnapshotPhase>[0],
    hold: (what: string, release: () => Promise<unknown>) => void,
  ): Promise<void> {
    const temporary = `${this.config.slot.name.slice(0, 50)}_snapshot`;
    const replication = await ReplicationConnection.connect(this.connection);
    // An interrupted snapshot must not leave the temporary slot's connection (and slot) behind.
    hold('closing the snapshot slot connection', () => replication.close());
    try {
      const created = await replication.createSlot(temporary, { exportSnapshot: true, temporary: true });
      this.snapshot = new SnapshotProgress();
      const reader = await SnapshotReader.open(this.connection, created.snapshotName, this.snapshot);
      hold('closing the snapshot reader', () => reader.close());
      this.phase = 'snapshotting';
      this.deps.log.info(
        { tables: tables.length, at: created.consistentPoint.toString() },
        'snapshot started',
      );
      try {
        await new SnapshotPhase(context).run(reader, tables, created.consistentPoint);
      } finally {
        await reader.close();
      }
      const view = this.snapshot.view;
      this.deps.log.info({ rows: view.rowsDone }, 'snapshot complete');
      if (this.config.snapshot.mode === 'initial_only') return;
      // Everything of the snapshot is in Kafka: only now does the permanent slot exist.
      await session.query(
        'SELECT pg_copy_logical_replication_slot($1, $2, false)',
        [temporary, this.config.slot.name],
        `Creating slot ${this.config.slot.name} from the snapshot's slot`,
      );
      this.confirmedLsn = created.consistentPoint;
    } finally {
      await replication.close();
    }
  }

  private typeCatalog(session: PostgresSession): Promise<TypeCatalog> {
    return TypeCatalog.load(catalogQuery(session));
  }

  private capturedTables(session: PostgresSession, admin: Admin, catalog: TypeCatalog): CapturedTables {
    const { config } = this;
    const excluded = config.columns.exclude.map(columnPattern);
    const masks = config.columns.mask.map((rule) => ({
      matches: rule.columns.map(columnPattern),
      mask: (rule.with === 'hash'
        ? { kind: 'hash', algorithm: 'SHA-256', salt: rule.salt }
        : { kind: 'chars', length: rule.length }) as ColumnMask,
    }));
    return new CapturedTables({
      catalog,
      query: catalogQuery(session),
      registry: this.deps.registry,
      schemaOptions: (relation: Relation) => {
        const columnNames = relation.columns.map((c) => c.name);
        const table = { schema: relation.schema, table: relation.table };
        const maskedColumns = new Map<string, ColumnMask>();
        for (const rule of masks) {
          for (const column of columnNames)
            if (rule.matches.some((m) => m(table, column))) maskedColumns.set(column, rule.mask);
        }
        return {
          topicPrefix: config.topicPrefix,
          database: config.postgres.database,
          excludedColumns: new Set(columnNames.filter((column) => excluded.some((m) => m(table, column)))),
          maskedColumns,
          unavailableValuePlaceholder: config.events.unavailableValuePlaceholder,
        };
      },
      ensureTopic: (topic) => this.provisionTopic(admin, topic),
      partitionsOf: async (topic) => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return topics[0].partitions.length;
      },
      subjectGenerations: this.subjectGenerations,
      onHold: (held: HeldTable) =>
        this.deps.log.error(
          { table: held.table, subject: held.subject, reason: held.reason },
          `table ${held.table} held: the registry refused its new schema; POST /tables/${held.table}/resume to decide`,
        ),
    });
  }

  /** Creates `topic` with the configured partitions when it does not exist. */
  private async provisionTopic(admin: Admin, topic: string): Promise<void> {
    const { partitions, replicationFactor } = this.config.topics;
    await new TopicProvisioner(admin).provision([{ name: topic, partitions, replicationFactor }]);
  }

  private whilePaused(): Promise<void> | undefined {
    if (this.stopping) return Promise.reject(new Stopped());
    if (!this.paused) return undefined;
    return new Promise<void>((resolve) => this.resumeWaiters.push(resolve)).then(() => {
      if (this.stopping) throw new Stopped();
    });
  }

  private release(): void {
    for (const wake of this.resumeWaiters.splice(0)) wake();
  }
}

/** A `schema.table.column` pattern (`*` wildcards) as a predicate. */
function columnPattern(pattern: string): (table: TableName, column: string) => boolean {
  const cut = pattern.lastIndexOf('.');
  const tableMatches = tablePattern(pattern.slice(0, cut));
  const columnRegex = new RegExp(
    `^${pattern
      .slice(cut + 1)
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (table, column) => tableMatches(table) && columnRegex.test(column);
}

function catalogQuery(session: PostgresSession) {
  return {
    query: async (sql: string, params?: unknown[]) => ({
      rows: await session.query<Record<string, unknown>>(sql, params ?? [], 'Reading the catalog'),
    }),
  };
}
