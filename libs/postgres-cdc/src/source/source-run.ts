import type { Admin } from 'kafkajs';
import { DeadlineExceededError, EnvironmentError, withDeadline } from '@sluice/errors';
import { createProducer, initTransactions, OffsetsTopic, TopicProvisioner } from '@sluice/kafka';
import type { SourceConfig } from '../config/source-config';
import { debeziumContextHeaders } from '../events/context-headers';
import { ChangeEventBuilder } from '../events/change-event-builder';
import { TransactionMetadata } from '../events/transaction-metadata';
import { Heartbeat } from '../heartbeat/heartbeat';
import { AcknowledgementWindow } from '../offsets/acknowledgement-window';
import { Lsn } from '../lsn/lsn';
import { ChangeEventPublisher } from '../publishing/change-event-publisher';
import { PostgresSession } from '../replication/postgres-session';
import { ReplicationConnection } from '../replication/replication-connection';
import { ReplicationSlot, type ReplicationSlotState } from '../replication/replication-slot';
import type { ReplicationStream } from '../replication/replication-stream';
import { qualifiedName } from '../replication/table-name';
import type { SnapshotProgress } from '../snapshot/snapshot-progress';
import { TypeCatalog } from '../types/type-catalog';
import { CapturedTables } from './captured-tables';
import type { CompiledSourceConfig } from './compile-source-config';
import { type DeliveredSnapshot, IncrementalSnapshot } from './incremental-snapshot';
import { InitialSnapshot } from './initial-snapshot';
import type { PhaseContext } from './phase-context';
import type { CoordinatedRun, RunControl } from './source-coordinator';
import type { PostgresSourceDependencies } from './source-dependencies';
import type { SourceOffset } from './source-offset';
import { SourceSetup } from './source-setup';
import type { HeldTable } from './source-status';
import { StreamingPhase } from './streaming-phase';

/** How long each part of a run's clean-up may take before it is abandoned (a dead broker or database). */
const RELEASE_DEADLINE_MS = 5_000;

/** Something a run acquired, and how to give it back. */
interface Held {
  readonly what: string;
  readonly release: () => Promise<unknown>;
}

/** A run's publisher and captured tables: what the operator API acts on. */
export interface OpenCapture {
  readonly publisher: ChangeEventPublisher;
  readonly tables: CapturedTables;
}

/** What a run tells the source as it goes: what outlives the run (status, the operator API). */
export interface SourceRunListener {
  /** The tables the run captures (`schema.table`), once selected. */
  onCaptured(tables: ReadonlySet<string>): void;
  /** The run's publisher and captured tables, once open. */
  onOpened(capture: OpenCapture): void;
  /** Change events handed to the publisher. */
  onEvents(count: number): void;
  /** Events Kafka acknowledged. */
  onAcknowledged(count: number): void;
  /** A row change dropped for its origin (`events.skipOrigins` as a list: a sink's own writes). */
  onOriginChangeSkipped?(): void;
}

export interface SourceRunOptions {
  readonly config: SourceConfig;
  readonly compiled: CompiledSourceConfig;
  readonly deps: PostgresSourceDependencies;
  readonly control: RunControl;
  /** Where the stream starts and what it moves: the same offset over every run. */
  readonly offset: SourceOffset;
  /** Operators' `new-subject` decisions, kept across runs (each run builds new CapturedTables). */
  readonly subjectGenerations: Map<string, number>;
  readonly listener: SourceRunListener;
}

/**
 * One connected life of the source: a Postgres session, the setup and checks, the Kafka clients,
 * then the initial snapshot into a new slot when there is none, then streaming until a failure or
 * a stop. Whatever it acquires it holds, and releases when it ends, each within a deadline: a run
 * interrupted while it waits on something that never answers still gives back what it held.
 */
export class SourceRun implements CoordinatedRun {
  private readonly held: Held[] = [];
  private interruptRun: ((error: Error) => void) | undefined;
  /**
   * Set when the run's life is over, ended or abandoned. Code of an abandoned run may still wake up
   * later (a connect that finally answers): what it acquires then goes back at once, and it no
   * longer moves the source's phase.
   */
  private over = false;
  private publisher: ChangeEventPublisher | undefined;
  private replication: ReplicationStream | undefined;
  private initial: InitialSnapshot | undefined;
  private incrementalSnapshot: IncrementalSnapshot | undefined;
  /** Exactly once: the position the offsets topic says is in Kafka (read after fencing). */
  private delivered: Lsn | undefined;
  /** Exactly once: the incremental snapshot progress committed with `delivered`. */
  private deliveredSnapshot: DeliveredSnapshot | undefined;

  constructor(private readonly options: SourceRunOptions) {}

  /** The slot stream, while streaming. */
  get stream(): ReplicationStream | undefined {
    return this.replication;
  }

  /** The initial snapshot's progress, once it began. */
  get snapshot(): SnapshotProgress | undefined {
    return this.initial?.progress;
  }

  /** The incremental snapshots, while streaming with a signal table. */
  get incremental(): IncrementalSnapshot | undefined {
    return this.incrementalSnapshot;
  }

  async run(): Promise<boolean> {
    const interrupted = new Promise<never>((_, reject) => (this.interruptRun = reject));
    interrupted.catch(() => undefined);
    const life = this.connectAndStream();
    life.catch(() => undefined);
    try {
      return await Promise.race([life, interrupted]);
    } finally {
      this.interruptRun = undefined;
      this.over = true;
      // An abandoned run's chunk read, waiting for a commit to become visible, ends too.
      this.incrementalSnapshot?.stopReading();
      await this.release();
    }
  }

  interrupt(error: Error): boolean {
    const interrupt = this.interruptRun;
    interrupt?.(error);
    return interrupt !== undefined;
  }

  async stop(): Promise<void> {
    this.incrementalSnapshot?.stopReading();
    try {
      await this.publisher?.flush();
    } catch {
      // Unacknowledged events are redelivered from the slot next time.
    }
    await this.replication?.stop().catch(() => undefined);
  }

  /** Setup, maybe snapshot, stream until failure or stop. True when finished for good. */
  private async connectAndStream(): Promise<boolean> {
    const { config, compiled, deps, listener } = this.options;
    const session = await PostgresSession.connect(compiled.connection, 'sluice-source');
    this.hold('closing the Postgres session', () => session.close());
    const admin = deps.kafka.admin();
    this.hold('disconnecting the Kafka admin client', () => admin.disconnect());
    try {
      const setup = new SourceSetup(session, config, compiled.signals, deps.log);
      const tables = await setup.selectTables();
      const captured = new Set(tables.map(qualifiedName));
      listener.onCaptured(captured);
      let slotState = await setup.prepare(tables);
      const context = await this.openCapture(session, admin);
      // A new slot starts after everything: a position stored for an older slot says nothing of it.
      if (slotState === undefined) this.delivered = undefined;
      else await this.checkDelivered(session);

      if (slotState === undefined && config.snapshot.mode !== 'never') {
        this.initial = new InitialSnapshot({
          connection: compiled.connection,
          slot: config.slot.name,
          createSlot: config.snapshot.mode !== 'initial_only',
          log: deps.log,
          hold: (what, release) => this.hold(what, release),
          onReading: () => this.enter('snapshotting'),
        });
        const consistentPoint = await this.initial.run(session, tables, {
          ...context,
          chunkSize: config.snapshot.chunkSize,
        });
        if (config.snapshot.mode === 'initial_only') return true;
        this.options.offset.confirm(consistentPoint);
        slotState = await new ReplicationSlot(session, config.slot.name).state();
      } else if (slotState === undefined) {
        const creator = await ReplicationConnection.connect(compiled.connection);
        this.hold('closing the slot creator connection', () => creator.close());
        await creator.createSlot(config.slot.name, { exportSnapshot: false }).finally(() => creator.close());
        deps.log.info({ slot: config.slot.name }, 'replication slot created (snapshot mode never)');
      }

      await this.streamFrom(slotState, session, admin, context, captured);
      return false;
    } finally {
      this.incrementalSnapshot = undefined;
    }
  }

  /** The Kafka side: producer, publisher (confirming to the slot what Kafka holds), captured tables. */
  private async openCapture(session: PostgresSession, admin: Admin): Promise<PhaseContext> {
    const { config, deps, listener, offset, control } = this.options;
    await admin.connect();
    const { delivery } = config;
    const exactlyOnce = delivery.guarantee === 'exactly-once';
    const offsets = new OffsetsTopic(deps.kafka, delivery.offsetsTopic ?? `${config.topicPrefix}.offsets`);
    const offsetKey = ['source-postgres', config.topicPrefix, config.slot.name];
    if (exactlyOnce) await offsets.ensure(config.topics.replicationFactor);
    const transactionalId =
      delivery.transactionalId ?? `sluice-source-postgres.${config.topicPrefix}.${config.slot.name}`;
    const producer = createProducer(
      deps.kafka,
      exactlyOnce ? { transactionalId, transactionTimeoutMs: delivery.transactionTimeoutMs } : {},
    );
    this.hold('disconnecting the Kafka producer', () => producer.disconnect());
    await producer.connect();
    if (exactlyOnce) {
      // Fences an older process of this source and ends what it left open, so the offsets topic
      // read next ends at its last commit (a commit under way completes first).
      await initTransactions(producer);
      const stored = await offsets.read<{ lsn: string; incrementalSnapshot?: DeliveredSnapshot }>(
        (key) =>
          key.length === offsetKey.length && key.every((part, i) => part === offsetKey[i])
            ? 'source'
            : undefined,
        // Not JSON: skipped, so the position read is an earlier one (or none) and transactions
        // committed after it are sent again. Said out loud: it breaks exactly once for them.
        (error, at) =>
          deps.log.warn(
            { err: error, topic: offsets.topic, offset: String(at) },
            `unreadable record in the offsets topic ${offsets.topic} at offset ${at} skipped: transactions committed after the last readable position will be sent again`,
          ),
      );
      const lsn = stored.get('source')?.lsn;
      this.delivered = lsn === undefined ? undefined : storedLsn(lsn, offsets.topic);
      this.deliveredSnapshot = stored.get('source')?.incrementalSnapshot;
    }
    const window = new AcknowledgementWindow();
    const publisher = new ChangeEventPublisher(producer, window, {
      ...config.publishing,
      ...(exactlyOnce && {
        exactlyOnce: {
          offsetRecord: (lsn: Lsn) => {
            // The incremental snapshot's progress commits with the chunks' events (exactly once).
            const incrementalSnapshot = this.incrementalSnapshot?.offsetProgress(lsn);
            return offsets.record(offsetKey, {
              lsn: lsn.toString(),
              ...(incrementalSnapshot !== undefined && { incrementalSnapshot }),
            });
          },
          commitIntervalMs: delivery.commitIntervalMs,
          transactionTimeoutMs: delivery.transactionTimeoutMs,
          transactionalId,
          onPartialCommit: () =>
            deps.log.warn(
              { transactionTimeoutMs: delivery.transactionTimeoutMs },
              'a Postgres transaction (or the initial snapshot) took longer than half the Kafka transaction timeout ' +
                '(delivery.transactionTimeoutMs) to send: committed in parts; a crash before its end would publish ' +
                'its events again',
            ),
        },
      }),
      onAcknowledged: (events) => listener.onAcknowledged(events),
      onConfirmable: (lsn) => {
        offset.confirm(lsn);
        this.replication?.acknowledge(lsn);
        this.incrementalSnapshot?.onConfirmed(lsn);
      },
    });
    // Released before the producer (holds go back last first): nothing is sent after it disconnects.
    this.hold('shutting down the change event publisher', () => publisher.shutdown());
    const tables = this.capturedTables(session, admin, await TypeCatalog.load(catalogQuery(session)));
    this.throwIfOver();
    this.publisher = publisher;
    listener.onOpened({ publisher, tables });
    return {
      tables,
      builder: new ChangeEventBuilder({
        tombstonesOnDelete: config.events.tombstonesOnDelete,
        connectorVersion: deps.version,
        skippedOperations: config.events.skippedOperations,
        processingFailureHandling: config.events.processingFailureHandlingMode,
        onEventSkipped: (error, table, lsn) =>
          deps.log.warn(
            { err: error, table, lsn: lsn.toString() },
            `change left out (events.processingFailureHandlingMode warn): ${error.message}`,
          ),
        onValueNulled: (column, text) =>
          deps.log.warn(
            { column, value: text },
            'value has no form in its column schema (numeric NaN/Infinity under types.decimalHandlingMode precise): written as null, as Debezium',
          ),
      }),
      publisher,
      window,
      whilePaused: () => control.whilePaused(),
      onEvents: (count) => listener.onEvents(count),
    };
  }

  /** Streams from the slot (and runs incremental snapshots) until the stream ends or fails. */
  private async streamFrom(
    slotState: ReplicationSlotState | undefined,
    session: PostgresSession,
    admin: Admin,
    context: PhaseContext,
    captured: ReadonlySet<string>,
  ): Promise<void> {
    const { config, compiled, deps, offset } = this.options;
    const transactions = config.events.transactionMetadata
      ? await TransactionMetadata.create(config.topicPrefix, deps.registry, (topic) =>
          this.provisionTopic(admin, topic),
        )
      : undefined;
    const heartbeat = new Heartbeat(session, {
      intervalMs: config.heartbeat.intervalMs,
      actionQuery: config.heartbeat.actionQuery,
      onError: (error) => deps.log.warn({ err: error }, 'heartbeat failed'),
    });
    this.hold('stopping the heartbeat', () => heartbeat.stop());
    const replication = await ReplicationConnection.connect(compiled.connection);
    this.hold('closing the replication connection', () => replication.close());
    const signalsOff = compiled.signals === undefined;
    const stream = await replication.startReplication({
      slot: config.slot.name,
      publications: [config.publication.name],
      maxBufferedMessages: Math.max(1000, Math.floor(config.publishing.maxPendingEvents / 4)),
      // With a signal table the source drops them itself: an incremental snapshot's window must see
      // a peer's write after a chunk's read, or the read's older row is published (and written back).
      ...(config.events.skipOrigins === 'all' && signalsOff && { origin: 'none' as const }),
    });
    this.replication = stream;
    const from = offset.resumeFrom(slotState?.confirmedFlushLsn);
    const signals = compiled.signals;
    const incremental =
      signals === undefined
        ? undefined
        : await IncrementalSnapshot.open({
            ...context,
            connection: compiled.connection,
            signals: signals.table,
            state: signals.state,
            chunkSize: config.snapshot.incrementalChunkSize,
            captures: (table) => captured.has(table),
            log: deps.log,
            hold: (what, release) => this.hold(what, release),
            exactlyOnce: config.delivery.guarantee === 'exactly-once',
            ...(this.delivered !== undefined && this.deliveredSnapshot !== undefined
              ? { delivered: this.deliveredSnapshot }
              : {}),
          });
    this.incrementalSnapshot = incremental;
    // An abandoned run must not start a heartbeat nobody stops (its hold was given back already).
    this.throwIfOver();
    heartbeat.start();
    this.enter('streaming');
    deps.log.info({ slot: config.slot.name, from: from?.toString() }, 'streaming');
    let dropped = 0;
    await new StreamingPhase({
      ...context,
      transactions,
      incremental,
      database: config.postgres.database,
      onPosition: (lsn) => offset.advanceTo(lsn),
      ...(from && { lastCommitLsn: from }),
      ...(this.options.control.stopBefore && { stopBefore: this.options.control.stopBefore }),
      ...((Array.isArray(config.events.skipOrigins) ||
        (config.events.skipOrigins === 'all' && !signalsOff)) && {
        skipOrigins: config.events.skipOrigins,
        onOriginChangeSkipped: () => this.options.listener.onOriginChangeSkipped?.(),
      }),
      ...(this.delivered && {
        delivered: this.delivered,
        onAlreadyDelivered: () => {
          if (dropped++ === 0)
            deps.log.info(
              { delivered: this.delivered!.toString() },
              'exactly once: dropping replayed transactions already committed to Kafka',
            );
        },
      }),
    }).run(stream);
  }

  /**
   * A stored position ahead of the server's WAL belongs to another database (a restore, a new
   * cluster): trusting it would drop every change up to it, so it is ignored, loudly.
   */
  private async checkDelivered(session: PostgresSession): Promise<void> {
    const delivered = this.delivered;
    if (delivered === undefined) return;
    const [row] = await session.query<{ lsn: string }>(
      'SELECT pg_current_wal_lsn()::text AS lsn',
      [],
      'Reading the server WAL position',
    );
    if (row && delivered.isAfter(Lsn.parse(row.lsn))) {
      this.options.deps.log.warn(
        {
          delivered: delivered.toString(),
          serverWal: row.lsn,
          offsetsTopic: this.options.config.delivery.offsetsTopic,
        },
        'the committed source offset is ahead of this server’s WAL (another database?): ignored; replayed changes may repeat',
      );
      this.delivered = undefined;
    }
  }

  private capturedTables(session: PostgresSession, admin: Admin, catalog: TypeCatalog): CapturedTables {
    const { compiled, config, deps, subjectGenerations } = this.options;
    return new CapturedTables({
      catalog,
      query: catalogQuery(session),
      registry: deps.registry,
      schemaOptions: compiled.schemaOptions,
      ensureTopic: (topic) => this.provisionTopic(admin, topic),
      partitionsOf: async (topic) => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return topics[0].partitions.length;
      },
      subjectGenerations,
      ...(config.events.extendedHeaders && { contextHeaders: debeziumContextHeaders(config.topicPrefix) }),
      onHold: (held: HeldTable) =>
        deps.log.error(
          { table: held.table, subject: held.subject, reason: held.reason },
          `table ${held.table} held: the registry refused its new schema; POST /tables/${held.table}/resume to decide`,
        ),
    });
  }

  /** Creates `topic` with the configured partitions when it does not exist. */
  private async provisionTopic(admin: Admin, topic: string): Promise<void> {
    const { partitions, replicationFactor } = this.options.config.topics;
    await new TopicProvisioner(admin).provision([{ name: topic, partitions, replicationFactor }]);
  }

  /** An abandoned run that wakes up goes no further: its side effects would outlive it. */
  private throwIfOver(): void {
    if (this.over) throw new Error('the source run was abandoned');
  }

  private enter(phase: 'snapshotting' | 'streaming'): void {
    if (!this.over) this.options.control.enter(phase);
  }

  private hold(what: string, release: () => Promise<unknown>): void {
    if (this.over) void this.giveBack({ what, release });
    else this.held.push({ what, release });
  }

  /** Gives back what the run holds, last acquired first. */
  private async release(): Promise<void> {
    const stream = this.replication;
    if (stream !== undefined)
      this.held.push({ what: 'stopping the slot stream', release: () => stream.stop() });
    for (const resource of this.held.splice(0).reverse()) await this.giveBack(resource);
    this.replication = undefined;
  }

  /** Releases one resource within its deadline. */
  private async giveBack({ what, release }: Held): Promise<void> {
    await withDeadline(release(), RELEASE_DEADLINE_MS, what).catch((error: unknown) => {
      // Released twice (normal clean-up ran too) is fine; only a hang is worth a line.
      if (error instanceof DeadlineExceededError)
        this.options.deps.log.warn({ err: error }, `abandoned: ${what}`);
    });
  }
}

function catalogQuery(session: PostgresSession) {
  return {
    query: async (sql: string, params?: unknown[]) => ({
      rows: await session.query<Record<string, unknown>>(sql, params ?? [], 'Reading the catalog'),
    }),
  };
}

/** The position the offsets topic holds: an error naming the topic, not a bare "not an LSN". */
function storedLsn(text: unknown, topic: string): Lsn {
  try {
    return Lsn.parse(String(text));
  } catch (error) {
    throw new EnvironmentError(
      `the offsets topic ${topic} holds ${JSON.stringify(text)} as this source's position, which is not a Postgres LSN: ` +
        'write a correct record there (or a tombstone for its key to start from the slot) and restart',
      { cause: error, code: 'OFFSETS_UNREADABLE' },
    );
  }
}
