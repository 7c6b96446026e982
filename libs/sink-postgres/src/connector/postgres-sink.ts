import { Pool } from 'pg';
import {
  type ConnectorConfig,
  ConsumingConnector,
  type PartitionPosition,
  type RuntimeParts,
  streamRuntimeConfigOf,
  type SupervisionStatus,
} from '@sluice/connect';
import { postgresTlsOptions, type PostgresTlsOptions } from '@sluice/config';
import { classifyPostgresFailure, ConfigError, EnvironmentError } from '@sluice/errors';
import { type Logger } from '@sluice/observability';
import { RecordDecoder, type SchemaRegistryClient } from '@sluice/schema';
import {
  type PartitionProgress,
  requireInputTopics,
  type StreamRuntimeConfig,
  type SupervisedPhase,
} from '@sluice/stream';
import {
  type ConflictPolicy,
  conflictPolicyFor,
  type ConflictRule,
  functionParts,
  RESOLUTION_FUNCTION_ARGS,
  RESOLUTION_FUNCTION_RETURNS,
  ruleName,
  type TableConflictRule,
} from '../conflict/conflict-policy';
import { type SyncWriting } from '../delivery/batch-writer';
import { PostgresSinkDelivery, type SinkCounters } from '../delivery/postgres-sink-delivery';
import { type RowChange, type TableOptions } from '../plan/row-change';
import { SchemaPlans } from '../plan/schema-plans';
import { RowChangeProcessor, type TableRoute } from '../processor/row-change-processor';
import { type BookkeepingTables } from '../sql/change-statements';
import { ensureBookkeeping } from '../target/bookkeeping';
import { ReplicationOrigin, replicationOriginName } from '../target/replication-origin';
import { TableShaper } from '../target/table-shaper';
import { TombstonePruner } from '../target/tombstone-pruner';
import { type sinkPostgresSettings } from './sink-postgres-config';

/** The sink's validated configuration: its settings and the shared tail. */
export type SinkPostgresConfig = ConnectorConfig<typeof sinkPostgresSettings>;

/** Per-topic settings; anything left out takes the sink-wide default. */
export interface TopicTableSettings {
  /** `table` or `schema.table`; default the topic's last dot-separated part in `schema`. */
  readonly table?: string;
  readonly history?: boolean;
  readonly merge?: boolean;
  readonly conflictRule?: TableConflictRule;
}

/** Where a topic's rows go unless its `tables` entry says otherwise. */
export interface RouteSettings {
  readonly tables: Readonly<Record<string, TopicTableSettings>>;
  /** Schema of the target tables. */
  readonly schema: string;
  readonly history: boolean;
  readonly merge: boolean;
  /** Two-way sync's rule (`sync.rule`), the default of every table's. */
  readonly conflictRule?: ConflictRule;
}

export type SinkPhase = SupervisedPhase;

/** A partition's position; offsets as strings (they are 64-bit). */
export type PartitionStatus = PartitionPosition<string>;

export interface PostgresSinkStatus extends SinkCounters, SupervisionStatus {
  readonly group: string;
  readonly topics: readonly string[];
  readonly conflictMode: 'lww' | 'none';
  /** The replication origin the sink writes with (`target.replicationOrigin`), or null. */
  readonly replicationOrigin: string | null;
  /** Two-way sync (`sync`): this direction, its rule, whether local commit times are known; or null. */
  readonly sync: {
    readonly site: string;
    readonly peerSite: string;
    readonly rule: ConflictRule;
    readonly commitTimestamps: boolean | null;
    /** Tombstones removed by `sync.tombstoneRetentionMs` since the start; null without it. */
    readonly tombstonesPruned: number | null;
  } | null;
  readonly partitions: readonly PartitionStatus[];
  readonly recordsProcessed: number;
  readonly recordsDeadLettered: number;
  readonly recordsParked: number;
}

/** What `prepare` made of the target, once: the processor and the bookkeeping tables. */
interface PreparedTarget {
  readonly pool: Pool;
  readonly books: BookkeepingTables;
  readonly processor: RowChangeProcessor;
  /** `target.replicationOrigin`, checked usable. */
  readonly origin: ReplicationOrigin | undefined;
  /** `sync`, with the target's track_commit_timestamp read. */
  readonly sync: SyncWriting | undefined;
  /** Told to check the tables again when a write found one changed (the delivery's tableChanged). */
  readonly shaper: TableShaper;
}

/**
 * The Postgres sink: a consumer group whose processor turns CDC or unwrapped records into row
 * changes and whose delivery writes each batch and its offset in one target transaction.
 */
export class PostgresSink extends ConsumingConnector<RowChange> {
  /** group, topics, concurrency, retry, onKeyFailure (`delivery` is the sink's own). */
  private readonly runtimeConfig: StreamRuntimeConfig;
  private delivery: PostgresSinkDelivery | undefined;
  private pool: Pool | undefined;
  private prepared: PreparedTarget | undefined;
  private readonly counters: SinkCounters = {
    rowsUpserted: 0,
    rowsDeleted: 0,
    conflicts: 0,
    rowsRefused: 0,
    batchesCommitted: 0,
  };
  private readonly routes = new Map<string, TableRoute>();
  private syncStatus: { readonly commitTimestamps: boolean } | undefined;
  /** `sync.tombstoneRetentionMs`: removes old tombstones from sluice_sync_rows. */
  private pruner: TombstonePruner | undefined;
  /** `target.ssl` with its files read, once, at construction (a wrong path fails the start). */
  readonly targetTls: PostgresTlsOptions | false;

  constructor(
    private readonly config: SinkPostgresConfig,
    private readonly registry: SchemaRegistryClient,
    logger: Logger,
    options: { readonly baseDir?: string } = {},
  ) {
    super({
      app: 'sink-postgres',
      group: config.group,
      kafka: config.kafka,
      stallAfterMs: config.liveness.stallAfterMs,
      shutdownTimeoutMs: config.runtime.shutdownTimeoutMs,
      logger,
    });
    // Parsed here, so that a runtime setting the schema alone cannot refuse (revokeTimeoutMs not
    // below sessionTimeoutMs) fails the start, naming its path. `delivery` is not used: the sink's
    // own replaces the runtime's Kafka delivery.
    this.runtimeConfig = streamRuntimeConfigOf(config.runtime, {
      group: config.group,
      topics: config.topics,
      delivery: 'exactly-once',
    });
    checkSyncSettings(config);
    this.targetTls = postgresTlsOptions(config.target.ssl, {
      baseDir: options.baseDir ?? process.cwd(),
      path: 'target.ssl',
    });
  }

  /** What a runtime needs first: the input topics, the target's pool and bookkeeping tables. */
  protected async prepare(): Promise<void> {
    const { config } = this;
    await requireInputTopics(config.kafka, config.topics);
    if (this.prepared !== undefined) return;
    const pool = (this.pool ??= this.openPool());
    const books = await ensureBookkeeping(pool, config.target.bookkeepingSchema, {
      sync: config.sync !== undefined,
    }).catch((error: unknown) => {
      throw refusedTls(error, config.target) ?? error;
    });
    // The sync settings first: a misconfiguration (a resolution function not there) is told as
    // such, not hidden behind the origin's wait for a free replication state slot.
    const sync = config.sync === undefined ? undefined : await this.syncWriting(pool);
    const originName = replicationOriginName(config.target.replicationOrigin, config.group);
    const origin = originName === undefined ? undefined : new ReplicationOrigin(originName);
    await origin?.verify(pool);
    const shaper = new TableShaper(pool, books, {
      autoCreate: config.target.autoCreate,
      autoEvolve: config.target.autoEvolve,
      syncTombstones: sync !== undefined,
    });
    if (sync !== undefined)
      for (const topic of config.topics) {
        const { schema, name } = this.route(topic);
        await shaper.guardDeletions(schema, name);
      }
    const processor = new RowChangeProcessor({
      decoder: new RecordDecoder(this.registry),
      plans: new SchemaPlans(this.registry),
      shaper,
      route: (topic) => this.route(topic),
    });
    this.prepared = { pool, books, processor, origin, sync, shaper };
    const retentionMs = config.sync?.tombstoneRetentionMs;
    if (sync !== undefined && retentionMs !== undefined) {
      this.pruner = new TombstonePruner(
        pool,
        books,
        { retentionMs, commitTimestamps: sync.commitTimestamps },
        (error) => this.supervision.logger.warn({ err: error }, 'sink-postgres: pruning tombstones failed'),
      );
      this.pruner.start();
    }
  }

  /**
   * Two-way sync's writing: the policies, and whether the target tracks commit timestamps — which
   * last-writer-wins needs for the rows written here (refused at start without it).
   */
  private async syncWriting(pool: Pool): Promise<SyncWriting> {
    const sync = this.config.sync!;
    const { rows } = await pool.query<{ on: boolean }>(
      "SELECT current_setting('track_commit_timestamp') = 'on' AS on",
    );
    const commitTimestamps = rows[0]?.on === true;
    const policies = new Map<string, ConflictPolicy>();
    const policy = (rule: TableConflictRule): ConflictPolicy => {
      let made = policies.get(ruleName(rule));
      if (!made) policies.set(ruleName(rule), (made = conflictPolicyFor(rule, sync.prioritySite)));
      return made;
    };
    await this.checkResolutionFunctions(pool);
    const rules = new Set([
      sync.rule,
      ...Object.values(this.config.tables).map((t) => t.conflictRule ?? sync.rule),
    ]);
    if (!commitTimestamps && [...rules].some((rule) => policy(rule).needsCommitTimestamps))
      throw new EnvironmentError(
        `sync.rule: last-writer-wins needs the commit time of rows written in the target database ` +
          `${this.config.target.database}, and track_commit_timestamp is off there; set ` +
          'track_commit_timestamp = on (postgresql.conf or ALTER SYSTEM, then restart Postgres), or use ' +
          'rule source-priority',
        { code: 'PG_COMMIT_TIMESTAMPS' },
      );
    this.syncStatus = { commitTimestamps };
    return {
      site: sync.site,
      peerSite: sync.peerSite,
      commitTimestamps,
      policyFor: (table) => policy(table.options.conflictRule ?? sync.rule),
    };
  }

  /**
   * Every table's resolution function must be in the target database with the signature the sink
   * calls (RESOLUTION_FUNCTION_ARGS, returning jsonb) and executable by the sink's role: refused at
   * start, naming the table and the function, rather than failing on the first conflict.
   */
  private async checkResolutionFunctions(pool: Pool): Promise<void> {
    const signature = `(${RESOLUTION_FUNCTION_ARGS.join(', ')})`;
    for (const [topic, table] of Object.entries(this.config.tables)) {
      const rule = table.conflictRule;
      if (rule === undefined || typeof rule === 'string') continue;
      const path = `tables.${topic}.conflictRule`;
      const { schema, name } = functionParts(rule.function);
      const { rows } = await pool.query<{
        returns: string | null;
        executable: boolean | null;
        found: string[];
      }>(
        `SELECT format_type(p.prorettype, NULL) AS returns, has_function_privilege(p.oid, 'EXECUTE') AS executable, ` +
          `ARRAY(SELECT format('%s(%s) returns %s', o.proname, pg_get_function_identity_arguments(o.oid), ` +
          `format_type(o.prorettype, NULL)) FROM pg_proc o JOIN pg_namespace n ON n.oid = o.pronamespace ` +
          `WHERE n.nspname = $1 AND o.proname = $2) AS found ` +
          `FROM (SELECT 1) one LEFT JOIN pg_proc p ON p.oid = to_regprocedure(format('%I.%I${signature}', $1::text, $2::text))`,
        [schema, name],
      );
      const row = rows[0];
      const wanted = `${rule.function}${signature} returns ${RESOLUTION_FUNCTION_RETURNS}`;
      const where = `database ${this.config.target.database}`;
      if (row?.returns === null || row?.returns === undefined)
        throw new ConfigError(
          `${path}: the conflict resolution function ${wanted} is not in ${where}` +
            (row && row.found.length > 0 ? ` (found ${schema}.${row.found.join(`, ${schema}.`)})` : '') +
            '; create it there (docs/two-way-sync.md)',
          undefined,
          path,
        );
      if (row.returns !== RESOLUTION_FUNCTION_RETURNS)
        throw new ConfigError(
          `${path}: the conflict resolution function ${rule.function}${signature} in ${where} returns ` +
            `${row.returns}; expected ${wanted}`,
          undefined,
          path,
        );
      if (!row.executable)
        throw new ConfigError(
          `${path}: the sink's role ${this.config.target.user} may not execute the conflict resolution ` +
            `function ${rule.function}${signature} in ${where}; GRANT EXECUTE on it`,
          undefined,
          path,
        );
    }
  }

  protected runtimeParts(): RuntimeParts<RowChange> {
    const { config } = this;
    const { pool, books, processor, origin, sync, shaper } = this.prepared!;
    return {
      config: this.runtimeConfig,
      processor,
      delivery: (context) =>
        (this.delivery = new PostgresSinkDelivery({
          pool,
          books,
          group: config.group,
          kafka: context.kafka,
          lww: config.conflicts === 'lww',
          counters: this.counters,
          maxAttempts: config.target.maxCommitAttempts,
          database: config.target.database,
          origin,
          sync,
          // Lag for Kafka's tools: each committed position mirrored to the group.
          commitGroupOffset: context.commitGroupOffset,
          deadLetters: context.deadLetters,
          logger: this.supervision.logger,
          tableChanged: () => shaper.forget(),
        })),
    };
  }

  protected async disconnect(): Promise<void> {
    await this.pruner?.stop();
    await this.pool?.end().catch(() => undefined);
  }

  protected runningLog(): Record<string, unknown> {
    return { group: this.group, topics: this.config.topics };
  }

  /**
   * Before its first commit here, a partition stands where the target's offsets table says (e.g.
   * nothing new to consume after a restart).
   */
  protected override storedOffset(partition: PartitionProgress): bigint | undefined {
    return this.delivery?.storedOffset(partition);
  }

  status(): PostgresSinkStatus {
    const { phase, paused, membership, ...problems } = this.supervisionStatus();
    const outcomes = this.outcomes();
    return {
      phase,
      paused,
      group: this.group,
      topics: this.runtimeConfig.topics,
      conflictMode: this.config.conflicts,
      replicationOrigin: this.prepared?.origin?.name ?? null,
      sync:
        this.config.sync === undefined
          ? null
          : {
              site: this.config.sync.site,
              peerSite: this.config.sync.peerSite,
              rule: this.config.sync.rule,
              commitTimestamps: this.syncStatus?.commitTimestamps ?? null,
              tombstonesPruned: this.pruner?.removed ?? null,
            },
      membership,
      partitions: this.partitionPositions(String),
      recordsProcessed: outcomes.processed,
      recordsDeadLettered: outcomes.deadLettered,
      recordsParked: outcomes.parked,
      ...this.counters,
      // lastError, retryAt, liveness
      ...problems,
    };
  }

  private openPool(): Pool {
    const { target } = this.config;
    const { logger } = this.supervision;
    const pool = new Pool({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: target.database,
      ssl: this.targetTls ? { ...this.targetTls } : false,
      connectionTimeoutMillis: target.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      max: this.runtimeConfig.concurrency.partitions + 2,
    });
    pool.on('error', (error) => logger.warn({ err: error }, 'idle target connection failed'));
    // A connection cut while checked out but between queries (its transaction waiting on Kafka for
    // dead letters) emits 'error' on the client, which would end the process unheard; the next
    // query on it fails and the batch is retried as for any lost connection.
    pool.on('connect', (client) =>
      client.on('error', (error) => logger.warn({ err: error }, 'target connection failed')),
    );
    return pool;
  }

  private route(topic: string): TableRoute {
    let route = this.routes.get(topic);
    if (!route) {
      const { config } = this;
      route = routeFor(topic, {
        tables: config.tables,
        schema: config.target.schema,
        history: config.history,
        merge: config.merge,
        ...(config.sync && { conflictRule: config.sync.rule }),
      });
      this.routes.set(topic, route);
    }
    return route;
  }
}

/** Where a topic's rows go: its `tables` entry, else the topic's last part in the default schema. */
export function routeFor(topic: string, settings: RouteSettings): TableRoute {
  const own = settings.tables[topic] ?? {};
  const target = own.table ?? topic.slice(topic.lastIndexOf('.') + 1);
  const dot = target.indexOf('.');
  const tableOptions: TableOptions = {
    history: own.history ?? settings.history,
    merge: own.merge ?? settings.merge,
    ...(settings.conflictRule && { conflictRule: own.conflictRule ?? settings.conflictRule }),
  };
  return dot < 0
    ? { schema: settings.schema, name: target, options: tableOptions }
    : { schema: target.slice(0, dot), name: target.slice(dot + 1), options: tableOptions };
}

/**
 * Two-way sync settings the schema alone cannot check: a sync sink must write with a replication
 * origin (else every change it applies comes back from the other side's source: an echo), and a
 * table's conflict rule needs `sync`.
 */
export function checkSyncSettings(
  config: Pick<SinkPostgresConfig, 'sync' | 'target' | 'tables' | 'group'>,
): void {
  const { sync } = config;
  for (const [topic, table] of Object.entries(config.tables)) {
    if (table.conflictRule === undefined) continue;
    const path = `tables.${topic}.conflictRule`;
    if (sync === undefined)
      throw new ConfigError(`${path}: a conflict rule needs sync (two-way sync)`, undefined, path);
    if (table.conflictRule === 'source-priority' && sync.prioritySite === undefined)
      throw new ConfigError(
        `${path}: source-priority needs sync.prioritySite (the site whose changes win)`,
        undefined,
        path,
      );
  }
  if (sync !== undefined && config.target.replicationOrigin === false)
    throw new ConfigError(
      `target.replicationOrigin: two-way sync (sync) needs the sink to write with a replication origin, ` +
        `else every change it applies to ${sync.site} is captured again by ${sync.site}'s source and sent ` +
        `back to ${sync.peerSite} (an echo); set target.replicationOrigin: true (origin ` +
        `${replicationOriginName(true, config.group)}) and events.skipOrigins on ${sync.site}'s source-postgres`,
      undefined,
      'target.replicationOrigin',
    );
}

/**
 * A TLS failure reaching the target (certificate not trusted, wrong host name, no TLS on the server)
 * as a permanent error naming the setting to fix: retrying gives the same answer, so the sink fails
 * once, clearly, instead of retrying for ever.
 */
function refusedTls(error: unknown, target: { host: string; port: number }): EnvironmentError | undefined {
  const failure = classifyPostgresFailure(error);
  if (failure?.kind !== 'tls') return undefined;
  const detail = error instanceof Error ? error.message : String(error);
  return new EnvironmentError(
    `target ${target.host}:${target.port}: TLS to Postgres failed, ${failure.reason} ` +
      `(${failure.socketCode ?? 'no TLS'}: ${detail}); check target.ssl: mode, and ca (the CA that signed the server certificate)`,
    { cause: error, code: 'PG_TLS' },
  );
}
