import { EnvironmentError } from '@sluice/errors';
import type { PostgresSession } from './postgres-session';
import { Publication } from './publication';
import { ReplicationSlot, type ReplicationSlotState } from './replication-slot';
import { qualifiedName, type TableName } from './table-name';

/** Reads one server setting (`SHOW <name>`); injectable, as settings like wal_level need a restart to change. */
export type SettingReader = (name: string) => Promise<string>;

export interface PreflightTarget {
  readonly database: string;
  readonly slot: string;
  readonly publication: string;
  /** The captured tables (include/exclude patterns resolved). */
  readonly tables: readonly TableName[];
  /** Check that the publication publishes every captured table (skip when Sluice just created it). */
  readonly checkPublication?: boolean;
  /**
   * Tables keyed by configured key columns (tables.keyColumns, Debezium message.key.columns): they
   * pass without a primary key, as in Debezium (Postgres itself then refuses their updates and
   * deletes under REPLICA IDENTITY DEFAULT).
   */
  readonly keyedByConfig?: (table: TableName) => boolean;
}

/**
 * Everything that must hold before a source streams, checked up front so the failure is a clear
 * error naming what to do, not a stream that dies later: wal_level, the role's REPLICATION right,
 * a key on every captured table, a usable slot, a publication covering the tables.
 */
export class ReplicationPreflight {
  private readonly readSetting: SettingReader;

  constructor(
    private readonly session: PostgresSession,
    options: { readSetting?: SettingReader } = {},
  ) {
    this.readSetting =
      options.readSetting ??
      (async (name) => {
        const [row] = await session.query<{ value: string }>(
          'SELECT current_setting($1) AS value',
          [name],
          `Reading setting ${name}`,
        );
        return row.value;
      });
  }

  async checkWalLevel(): Promise<void> {
    const level = await this.readSetting('wal_level');
    if (level !== 'logical') {
      throw new EnvironmentError(
        `Postgres runs with wal_level = ${level}; logical replication needs wal_level = logical. Run ` +
          `ALTER SYSTEM SET wal_level = logical and restart Postgres (on managed services: the logical ` +
          `replication parameter, e.g. rds.logical_replication = 1)`,
        { code: 'PG_WAL_LEVEL' },
      );
    }
  }

  async checkRole(): Promise<void> {
    const [row] = await this.session.query(
      'SELECT current_user AS name, rolreplication::text AS replication, rolsuper::text AS super FROM pg_roles WHERE rolname = current_user',
      [],
      'Reading the rights of the current role',
    );
    if (row.replication !== 'true' && row.super !== 'true') {
      throw new EnvironmentError(
        `Role ${row.name} has neither REPLICATION nor superuser, so it cannot stream changes: run ` +
          `ALTER ROLE ${row.name} REPLICATION (or connect as a role that has it)`,
        { code: 'PG_PERMISSION' },
      );
    }
  }

  /**
   * Under REPLICA IDENTITY DEFAULT an update or delete carries the primary key; without one it
   * carries nothing, and the change could not be keyed. NOTHING never carries old values.
   */
  async checkKeys(
    tables: readonly TableName[],
    keyedByConfig: (table: TableName) => boolean = () => false,
  ): Promise<void> {
    if (tables.length === 0) return;
    const rows = await this.session.query(
      `SELECT n.nspname AS schema, c.relname AS table, c.relreplident AS identity,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)::text AS has_pk
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [tables.map((t) => t.schema), tables.map((t) => t.table)],
      'Reading the keys of the captured tables',
    );
    const keyless = rows.filter(
      (r) =>
        (r.identity === 'n' || (r.identity === 'd' && r.has_pk !== 'true')) &&
        !keyedByConfig({ schema: r.schema as string, table: r.table as string }),
    );
    if (keyless.length > 0) {
      const names = keyless.map((r) => `${r.schema}.${r.table}`);
      throw new EnvironmentError(
        `Captured table(s) ${names.join(', ')} have no primary key under REPLICA IDENTITY DEFAULT (or use ` +
          `REPLICA IDENTITY NOTHING), so their updates and deletes carry no key: add a primary key, or ` +
          `ALTER TABLE ${names[0]} REPLICA IDENTITY FULL, or name key columns (tables.keyColumns), or exclude them from capture`,
        { code: 'PG_TABLE_WITHOUT_KEY' },
      );
    }
    const found = new Set(rows.map((r) => `${r.schema}.${r.table}`));
    const missing = tables.filter((t) => !found.has(qualifiedName(t)));
    if (missing.length > 0) {
      throw new EnvironmentError(`Captured table(s) ${missing.map(qualifiedName).join(', ')} do not exist`, {
        code: 'PG_MISSING_OBJECT',
      });
    }
  }

  /** The slot's state when it exists and is usable, undefined when it must be created. */
  async checkSlot(slot: string, database: string): Promise<ReplicationSlotState | undefined> {
    const state = await new ReplicationSlot(this.session, slot).state();
    if (state !== undefined) ReplicationSlot.checkUsable(state, database);
    return state;
  }

  /** All checks, in the order an operator would fix them. */
  async run(target: PreflightTarget): Promise<{ slot: ReplicationSlotState | undefined }> {
    await this.checkWalLevel();
    await this.checkRole();
    await this.checkKeys(target.tables, target.keyedByConfig);
    const slot = await this.checkSlot(target.slot, target.database);
    if (target.checkPublication !== false) {
      await new Publication(this.session, target.publication).checkCovers(target.tables);
    }
    return { slot };
  }
}

/** Ordinary and partitioned tables outside the system schemas: what include patterns select from. */
export async function listTables(session: PostgresSession): Promise<TableName[]> {
  const rows = await session.query(
    `SELECT n.nspname AS schema, c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1, 2`,
    [],
    'Listing tables',
  );
  return rows.map((r) => ({ schema: r.schema as string, table: r.table as string }));
}
