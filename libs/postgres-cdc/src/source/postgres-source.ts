import { randomUUID } from 'node:crypto';
import { postgresTlsOptions } from '@sluice/config';
import { SluiceError, withDeadline } from '@sluice/errors';
import type { ProgressSample, ProgressWatchdog } from '@sluice/observability';
import type { SourceConfig } from '../config/source-config';
import type { PostgresConnectionOptions } from '../replication/postgres-connection-options';
import { PostgresSession } from '../replication/postgres-session';
import { ReplicationConnection } from '../replication/replication-connection';
import { ReplicationSlot } from '../replication/replication-slot';
import { type CompiledSourceConfig, compileSourceConfig } from './compile-source-config';
import { SourceCoordinator } from './source-coordinator';
import type { PostgresSourceDependencies } from './source-dependencies';
import { sourceEventsCounter, sourceOriginSkippedCounter, sourceRestartsCounter } from './source-metrics';
import { SourceOffset } from './source-offset';
import { type OpenCapture, SourceRun, type SourceRunListener } from './source-run';
import type { SourceStatus } from './source-status';

/** How long a stop waits for the slot to be released before dropping it (slot.dropOnStop). */
const DROP_SLOT_TIMEOUT_MS = 10_000;
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

/**
 * The Postgres source connector (Debezium's PostgresConnectorTask), as the app and the management
 * API see it: start and stop, the operator's actions, and `status()`. The work is done by named
 * parts: `SourceCoordinator` (the life across runs: restarts with backoff, stalls, pause),
 * `SourceRun` (one connected life: `SourceSetup`, then `InitialSnapshot` into a new slot or the
 * slot's position, then `StreamingPhase`), `SourceOffset` (where it is in the WAL) and
 * `compileSourceConfig` (the configuration, decided once).
 */
export class PostgresSource {
  private readonly compiled: CompiledSourceConfig;
  private readonly coordinator: SourceCoordinator<SourceRun>;
  private readonly offset = new SourceOffset();
  /** Operators' `new-subject` decisions, kept across runs. */
  private readonly subjectGenerations = new Map<string, number>();
  private readonly eventsCounter: { inc(value?: number): void };
  private eventsPublished = 0;
  /** Row changes left out for their origin (two-way sync: the other direction's sink wrote them). */
  private changesSkippedByOrigin = 0;
  private readonly skippedCounter: { inc(value?: number): void };
  /** Events Kafka acknowledged, over every run: the progress the watchdog looks for. */
  private eventsAcknowledged = 0;
  /** `schema.table` of every table this source captures (set once connected). */
  private captured: ReadonlySet<string> = new Set();
  /**
   * The publisher and tables of the latest run that opened them. They outlive it: while a later
   * run reconnects, status still counts their pending and held events and names the held tables.
   */
  private capture: OpenCapture | undefined;

  constructor(
    private readonly config: SourceConfig,
    private readonly deps: PostgresSourceDependencies,
  ) {
    this.compiled = compileSourceConfig(
      config,
      postgresTlsOptions(config.postgres.ssl, {
        baseDir: deps.baseDir ?? process.cwd(),
        path: 'postgres.ssl',
      }),
    );
    this.eventsCounter = sourceEventsCounter(config.topicPrefix);
    this.skippedCounter = sourceOriginSkippedCounter(config.topicPrefix);
    const listener: SourceRunListener = {
      onCaptured: (tables) => (this.captured = tables),
      onOpened: (capture) => (this.capture = capture),
      onEvents: (count) => {
        this.eventsPublished += count;
        this.eventsCounter.inc(count);
      },
      onAcknowledged: (count) => (this.eventsAcknowledged += count),
      onOriginChangeSkipped: () => {
        this.changesSkippedByOrigin += 1;
        this.skippedCounter.inc();
      },
    };
    this.coordinator = new SourceCoordinator({
      restart: config.restart,
      stallAfterMs: config.liveness.stallAfterMs,
      progress: () => this.progress(),
      newRun: (control) =>
        new SourceRun({
          config,
          compiled: this.compiled,
          deps,
          control,
          offset: this.offset,
          subjectGenerations: this.subjectGenerations,
          listener,
        }),
      log: deps.log,
      restarts: sourceRestartsCounter(config.topicPrefix),
    });
  }

  /** Where and how the source connects to Postgres (its TLS files read), for probes. */
  get connection(): PostgresConnectionOptions {
    return this.compiled.connection;
  }

  /** Progress-based liveness, for `/health/live` and `/status`. */
  get liveness(): ProgressWatchdog {
    return this.coordinator.liveness;
  }

  /** Starts the source in the background; `status()` tells how it goes. */
  start(): void {
    this.coordinator.start();
  }

  /** Resolves when the source stopped for good (stop, initial_only done, or failed). */
  async done(): Promise<void> {
    await this.coordinator.done();
  }

  /**
   * Stops reading, lets Kafka acknowledge what is in flight, confirms it to the slot, and ends; with
   * `slot.dropOnStop`, then drops the slot.
   */
  async stop(): Promise<void> {
    await this.coordinator.stop();
    if (this.config.slot.dropOnStop) await this.dropSlot();
  }

  /**
   * `slot.dropOnStop` (Debezium's slot.drop.on.stop): a clean stop takes the slot with it, so that
   * it retains no WAL for a source that does not come back. The walsender of the run that just
   * ended may hold the slot a moment longer, so the drop waits for it (DROP_REPLICATION_SLOT ...
   * WAIT), within a deadline: another process streaming from the slot would hold it for good. A
   * failure is logged, not thrown: the stop itself succeeded.
   */
  private async dropSlot(): Promise<void> {
    const slot = this.config.slot.name;
    try {
      const session = await PostgresSession.connect(this.compiled.connection, 'sluice-source-stop');
      const exists = await new ReplicationSlot(session, slot).state().finally(() => session.close());
      if (exists === undefined) return;
      const replication = await ReplicationConnection.connect(this.compiled.connection);
      try {
        await withDeadline(
          replication.dropSlot(slot),
          DROP_SLOT_TIMEOUT_MS,
          `dropping replication slot ${slot}`,
        );
      } finally {
        await replication.close();
      }
      this.deps.log.info({ slot }, 'replication slot dropped on stop (slot.dropOnStop)');
    } catch (error) {
      this.deps.log.warn(
        { err: error, slot },
        `replication slot ${slot} was not dropped on stop (slot.dropOnStop); it retains WAL until dropped: SELECT pg_drop_replication_slot('${slot}')`,
      );
    }
  }

  pause(): void {
    this.coordinator.pause();
  }

  /** True between `pause()` and `resume()` (also while a pause waits for streaming to begin). */
  get isPaused(): boolean {
    return this.coordinator.isPaused;
  }

  /**
   * Stops the capture as `stop()` does (in-flight events acknowledged and confirmed to the slot)
   * and starts it again in this process from the slot's confirmed position. A pause outlives it.
   */
  async restart(): Promise<void> {
    await this.coordinator.restart();
  }

  resume(): void {
    this.coordinator.resume();
  }

  /** The operator's decision on a held table; see `CapturedTables.resume`. */
  async resumeTable(table: string, action: 'retry' | 'new-subject'): Promise<void> {
    const capture = this.capture;
    if (capture === undefined || !capture.tables.has(table)) throw new UnknownTableError(table);
    const released = await capture.tables.resume(table, action);
    if (released === undefined) return; // still refused: status says why
    for (const { send, tx } of released) await capture.publisher.publishHeld(send, tx);
    this.deps.log.info({ table, action, events: released.length }, 'held table resumed');
  }

  /**
   * Asks for an incremental snapshot of `tables` (schema.table) by writing Debezium's
   * `execute-snapshot` signal into the signal table: the request is durable and takes its place in
   * the stream. Resolves to the signal's id.
   */
  async requestSnapshot(tables: readonly string[]): Promise<string> {
    const { signals, connection } = this.compiled;
    if (signals === undefined) throw new SignalsNotConfiguredError();
    for (const table of tables) if (!this.captured.has(table)) throw new UnknownTableError(table);
    const id = randomUUID();
    const session = await PostgresSession.connect(connection, 'sluice-signal');
    try {
      await signals.table.send(session, {
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
    const { coordinator, offset, capture } = this;
    const { phase, run } = coordinator;
    const initial = phase === 'snapshotting' ? run?.snapshot : undefined;
    return {
      name: this.config.topicPrefix,
      phase: coordinator.isPaused && phase === 'streaming' ? 'paused' : phase,
      slot: this.config.slot.name,
      publication: this.config.publication.name,
      currentLsn: offset.currentLsn?.toString(),
      confirmedLsn: offset.confirmedLsn?.toString(),
      lagBytes: offset.lagBytes(run?.stream?.position),
      eventsPublished: this.eventsPublished,
      changesSkippedByOrigin: this.changesSkippedByOrigin,
      eventsPending: (capture?.publisher.pending ?? 0) + (capture?.tables.heldEventCount() ?? 0),
      snapshot: initial ? { kind: 'initial', ...initial.view } : run?.incremental?.status(),
      heldTables: capture?.tables.held() ?? [],
      lastError: coordinator.lastError,
      retryAt: phase === 'retrying' ? coordinator.retryAt?.toISOString() : undefined,
      liveness: coordinator.liveness.observe(),
    };
  }

  /** What the watchdog sees: work waits while the source starts, snapshots, or has events unacknowledged. */
  private progress(): ProgressSample {
    const { phase, isPaused, run } = this.coordinator;
    const pending = this.capture?.publisher.pending ?? 0;
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
        !isPaused &&
        (phase === 'starting' || phase === 'snapshotting' || (phase === 'streaming' && pending > 0)),
      progress: `${phase}|${this.eventsAcknowledged}|${this.offset.confirmedLsn?.toString() ?? ''}|${run?.snapshot?.view.rowsDone ?? 0}`,
      waitingOn,
    };
  }
}
