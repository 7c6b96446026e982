import { Pool } from 'pg';
import { type KafkaConfig } from '@sluice/kafka';
import { type LivenessView, type Logger } from '@sluice/observability';
import { RecordDecoder, type SchemaRegistryClient } from '@sluice/schema';
import {
  appRecovery,
  keptParkedLog,
  type GroupMembership,
  requireInputTopics,
  RuntimeSupervisor,
  StreamRuntime,
  type StreamRuntimeConfig,
  type SupervisedPhase,
  type TopicPartition,
} from '@sluice/stream';
import { PostgresSinkDelivery, type SinkCounters } from '../delivery/postgres-sink-delivery';
import { type RowChange, type TableOptions } from '../plan/row-change';
import { SchemaPlans } from '../plan/schema-plans';
import { RowChangeProcessor, type TableRoute } from '../processor/row-change-processor';
import { ensureBookkeeping } from '../target/bookkeeping';
import { TableShaper } from '../target/table-shaper';

export interface TargetDatabase {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly connectTimeoutMs: number;
}

/** Per-topic settings; anything left out takes the sink-wide default. */
export interface TopicTableSettings {
  /** `table` or `schema.table`; default the topic's last dot-separated part in `schema`. */
  readonly table?: string;
  readonly history?: boolean;
  readonly merge?: boolean;
}

export interface PostgresSinkOptions {
  readonly kafka: KafkaConfig;
  /** group, topics, concurrency, retry, onKeyFailure (`delivery` is the sink's own). */
  readonly runtime: StreamRuntimeConfig;
  readonly registry: SchemaRegistryClient;
  readonly target: TargetDatabase;
  /** Schema of the target tables. */
  readonly schema: string;
  /** Schema of Sluice's own tables (offsets, conflicts, deletions, migrations). */
  readonly bookkeepingSchema: string;
  readonly autoCreate: boolean;
  readonly autoEvolve: boolean;
  /** `lww`: last writer wins by source position, overruled writes in sluice_conflicts; `none`: apply in order. */
  readonly conflicts: 'lww' | 'none';
  readonly history: boolean;
  readonly merge: boolean;
  readonly tables: Readonly<Record<string, TopicTableSettings>>;
  /** Attempts of a checkpoint transaction the database cut off. */
  readonly maxCommitAttempts: number;
  /** Records waiting this long with nothing committed is a stall (`liveness.stallAfterMs`). */
  readonly stallAfterMs: number;
  readonly logger: Logger;
}

export type SinkPhase = SupervisedPhase;

export interface PartitionStatus extends TopicPartition {
  readonly committedOffset?: string;
  readonly highWatermark?: string;
  readonly lag?: string;
}

export interface PostgresSinkStatus extends SinkCounters {
  readonly phase: SinkPhase;
  /** Paused through the management API: no records are fetched, the group membership stays. */
  readonly paused: boolean;
  readonly group: string;
  readonly topics: readonly string[];
  readonly conflictMode: 'lww' | 'none';
  /** Consumer-group membership: `member` when settled, `rebalancing` while partitions move. */
  readonly membership: GroupMembership;
  readonly partitions: readonly PartitionStatus[];
  readonly recordsProcessed: number;
  readonly recordsDeadLettered: number;
  readonly recordsParked: number;
  /** Why the runtime failed, or why it waits to retry. */
  readonly lastError?: string;
  /** In phase `retrying`: when the next attempt starts. */
  readonly retryAt?: string;
  /** Progress-based liveness: `stalled` when records waited `liveness.stallAfterMs` with nothing committed. */
  readonly liveness?: LivenessView;
}

/**
 * The Postgres sink: a StreamRuntime whose processor turns CDC or unwrapped records into row
 * changes and whose delivery writes each batch and its offset in one target transaction.
 */
export class PostgresSink {
  /** The runtime, kept running across the management API's restarts and pauses. */
  readonly runtime: RuntimeSupervisor<RowChange>;
  private delivery: PostgresSinkDelivery | undefined;
  private pool: Pool | undefined;
  private newRuntime: (() => StreamRuntime<RowChange>) | undefined;
  private processed = 0;
  private deadLettered = 0;
  private parked = 0;
  private readonly counters: SinkCounters = {
    rowsUpserted: 0,
    rowsDeleted: 0,
    conflicts: 0,
    rowsRefused: 0,
    batchesCommitted: 0,
  };
  private readonly routes = new Map<string, TableRoute>();
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: PostgresSinkOptions) {
    this.runtime = new RuntimeSupervisor<RowChange>(
      () => this.newRuntime!(),
      (error) => options.logger.error({ err: error }, 'sink-postgres runtime failed'),
      appRecovery({
        app: 'sink-postgres',
        group: options.runtime.group,
        prepare: () => this.prepare(),
        stallAfterMs: options.stallAfterMs,
        shutdownTimeoutMs: options.runtime.shutdownTimeoutMs,
        log: options.logger,
      }),
    );
  }

  /** Settles when the runtime stopped; rejects when it failed (also after a restart). */
  get done(): Promise<void> {
    return this.runtime.done;
  }

  /**
   * Starts sinking; waits (phase `retrying`, the reason in the status) while Kafka or the target do
   * not answer or an input topic does not exist yet.
   */
  start(): void {
    // In the background: the process answers probes, /status and SIGTERM while it waits. A failure
    // no retry fixes rejects `done`.
    this.runtime.start().then(
      () =>
        this.options.logger.info(
          { group: this.options.runtime.group, topics: this.options.runtime.topics },
          'sink-postgres running',
        ),
      () => undefined,
    );
  }

  /** What a runtime needs first: the input topics, the target's pool and bookkeeping tables. */
  private async prepare(): Promise<void> {
    const { options } = this;
    await requireInputTopics(options.kafka, options.runtime.topics);
    if (this.newRuntime !== undefined) return;
    const t = options.target;
    this.pool = new Pool({
      host: t.host,
      port: t.port,
      user: t.user,
      password: t.password,
      database: t.database,
      connectionTimeoutMillis: t.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      max: options.runtime.concurrency.partitions + 2,
    });
    this.pool.on('error', (error) => options.logger.warn({ err: error }, 'idle target connection failed'));
    // A connection cut while checked out but between queries (its transaction waiting on Kafka for
    // dead letters) emits 'error' on the client, which would end the process unheard; the next
    // query on it fails and the batch is retried as for any lost connection.
    this.pool.on('connect', (client) =>
      client.on('error', (error) => options.logger.warn({ err: error }, 'target connection failed')),
    );
    const pool = this.pool;
    const books = await ensureBookkeeping(pool, options.bookkeepingSchema);
    const shaper = new TableShaper(pool, books, {
      autoCreate: options.autoCreate,
      autoEvolve: options.autoEvolve,
    });
    const processor = new RowChangeProcessor({
      decoder: new RecordDecoder(options.registry),
      plans: new SchemaPlans(options.registry),
      shaper,
      route: (topic) => this.route(topic),
    });
    const lww = options.conflicts === 'lww';
    this.newRuntime = () =>
      new StreamRuntime<RowChange>({
        kafka: options.kafka,
        config: options.runtime,
        processor,
        delivery: (context) =>
          (this.delivery = new PostgresSinkDelivery({
            pool,
            books,
            group: options.runtime.group,
            kafka: context.kafka,
            lww,
            counters: this.counters,
            maxAttempts: options.maxCommitAttempts,
            database: t.database,
            // Lag for Kafka's tools: each committed position mirrored to the group.
            commitGroupOffset: context.commitGroupOffset,
            logger: options.logger,
          })),
        onOutcome: (_record, outcome) => {
          if (outcome === 'processed') this.processed++;
          else if (outcome === 'dead-lettered') this.deadLettered++;
          else this.parked++;
        },
        onKeptParked: (kept) => options.logger.warn(...keptParkedLog(kept)),
      });
  }

  /** Drains in-flight records and commits them (within the runtime's shutdown budget), then disconnects. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    await this.runtime.stop();
    await this.pool?.end().catch(() => undefined);
  }

  status(): PostgresSinkStatus {
    const partitions = this.runtime.partitionProgress().map((p) => {
      // Before its first commit here, a partition stands where the target's offsets table says
      // (e.g. nothing new to consume after a restart).
      const committed = p.committedOffset ?? this.delivery?.storedOffset(p);
      const lag =
        p.lag ??
        (committed !== undefined && p.highWatermark !== undefined
          ? p.highWatermark > committed
            ? p.highWatermark - committed
            : 0n
          : undefined);
      return {
        topic: p.topic,
        partition: p.partition,
        ...(committed !== undefined ? { committedOffset: String(committed) } : {}),
        ...(p.highWatermark !== undefined ? { highWatermark: String(p.highWatermark) } : {}),
        ...(lag !== undefined ? { lag: String(lag) } : {}),
      };
    });
    return {
      phase: this.runtime.phase,
      paused: this.runtime.paused,
      group: this.options.runtime.group,
      topics: this.options.runtime.topics,
      conflictMode: this.options.conflicts,
      membership: this.runtime.membership(),
      partitions,
      recordsProcessed: this.processed,
      recordsDeadLettered: this.deadLettered,
      recordsParked: this.parked,
      ...this.counters,
      ...(this.runtime.lastError !== undefined ? { lastError: String(this.runtime.lastError) } : {}),
      ...(this.runtime.retryAt !== undefined ? { retryAt: this.runtime.retryAt.toISOString() } : {}),
      ...(this.runtime.liveness !== undefined ? { liveness: this.runtime.liveness.observe() } : {}),
    };
  }

  private route(topic: string): TableRoute {
    let route = this.routes.get(topic);
    if (!route) {
      route = routeFor(topic, this.options);
      this.routes.set(topic, route);
    }
    return route;
  }
}

/** Where a topic's rows go: its `tables` entry, else the topic's last part in the default schema. */
export function routeFor(
  topic: string,
  options: Pick<PostgresSinkOptions, 'tables' | 'schema' | 'history' | 'merge'>,
): TableRoute {
  const settings = options.tables[topic] ?? {};
  const target = settings.table ?? topic.slice(topic.lastIndexOf('.') + 1);
  const dot = target.indexOf('.');
  const tableOptions: TableOptions = {
    history: settings.history ?? options.history,
    merge: settings.merge ?? options.merge,
  };
  return dot < 0
    ? { schema: options.schema, name: target, options: tableOptions }
    : { schema: target.slice(0, dot), name: target.slice(dot + 1), options: tableOptions };
}
