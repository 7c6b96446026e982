import { SluiceError } from '@sluice/errors';
import type { SourceConfig } from '../config/source-config';
import type { PostgresSession } from '../replication/postgres-session';
import { Publication, type PublicationScope } from '../replication/publication';
import { listTables, ReplicationPreflight } from '../replication/replication-preflight';
import { ReplicationSlot, type ReplicationSlotState } from '../replication/replication-slot';
import { selectTables, tablePattern, type TableName } from '../replication/table-name';
import type { SourceSignals } from './compile-source-config';
import { IncrementalSnapshot } from './incremental-snapshot';
import type { SourceLog } from './source-dependencies';

/**
 * What a run does to Postgres before it reads anything: creates the signal tables, resolves the
 * tables to capture, creates or extends the publication, and runs the preflight checks, which
 * answer the slot's state (undefined: there is no slot yet, so the run snapshots into a new one).
 */
export class SourceSetup {
  constructor(
    private readonly session: PostgresSession,
    private readonly config: SourceConfig,
    private readonly signals: SourceSignals | undefined,
    private readonly log: SourceLog,
  ) {}

  /** The captured tables: the include/exclude patterns over the database's tables, bookkeeping left out. */
  async selectTables(): Promise<TableName[]> {
    const { session, signals, config } = this;
    if (signals !== undefined) {
      await signals.table.create(session);
      await signals.state.create(session);
    }
    return selectTables(await listTables(session), config.tables.include, config.tables.exclude).filter(
      (t) => signals === undefined || !IncrementalSnapshot.isBookkeeping(t, signals.table, signals.state),
    );
  }

  /** The publication, then the checks; the slot's state when it exists and is usable. */
  async prepare(tables: readonly TableName[]): Promise<ReplicationSlotState | undefined> {
    const { signals } = this;
    await this.ensurePublication(signals ? [...tables, signals.table.name] : tables);
    return this.preflight(tables);
  }

  private async preflight(tables: readonly TableName[]): Promise<ReplicationSlotState | undefined> {
    const { config, session } = this;
    const preflight = new ReplicationPreflight(session);
    const keyed = config.tables.keyColumns.map((rule) => tablePattern(rule.table));
    const target = {
      database: config.postgres.database,
      slot: config.slot.name,
      publication: config.publication.name,
      tables,
      keyedByConfig: (table: TableName) => keyed.some((matches) => matches(table)),
    };
    try {
      return (await preflight.run(target)).slot;
    } catch (error) {
      // when_needed: a slot whose WAL is gone cannot resume; snapshot again from a new one.
      if (
        config.snapshot.mode === 'when_needed' &&
        error instanceof SluiceError &&
        error.code === 'PG_SLOT_INVALIDATED'
      ) {
        this.log.warn({ slot: config.slot.name }, 'slot invalidated; dropping it to snapshot again');
        await new ReplicationSlot(session, config.slot.name).drop();
        return (await preflight.run(target)).slot;
      }
      throw error;
    }
  }

  private async ensurePublication(tables: readonly TableName[]): Promise<void> {
    const { publication } = this.config;
    if (publication.autocreate === 'disabled') return;
    const scope: PublicationScope =
      publication.autocreate === 'all_tables' ? { kind: 'all-tables' } : { kind: 'tables', tables };
    const change = await new Publication(this.session, publication.name).ensure(scope, {
      viaPartitionRoot: publication.viaPartitionRoot,
    });
    if (change.created || change.added.length > 0 || change.viaRootSet) {
      this.log.info(
        {
          publication: publication.name,
          created: change.created,
          added: change.added.map((t) => `${t.schema}.${t.table}`),
          ...(change.viaRootSet && { publishViaPartitionRoot: true }),
        },
        'publication updated',
      );
    }
  }
}
