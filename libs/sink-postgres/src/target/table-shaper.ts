import { type Pool, type PoolClient } from 'pg';
import { type ColumnPlan, type TargetTable } from '../plan/row-change';
import { type BookkeepingTables, historyTableOf, LSN_COLUMN, TS_COLUMN } from '../sql/change-statements';
import { ident } from '../sql/identifiers';
import { tombstoneTriggerStatement } from '../sql/sync-statements';
import { IncompatibleTableError, targetFailure } from '../sink-errors';

/** A table version known to have every column its schema writes. */
const FITS = true;

export interface ShaperOptions {
  /** Create missing tables (else a missing table is an error for its records). */
  readonly autoCreate: boolean;
  /** Add columns a new schema version brings (else an error for its records). */
  readonly autoEvolve: boolean;
  /** Two-way sync: every table gets the trigger leaving tombstones for local deletes. */
  readonly syncTombstones?: boolean;
}

/**
 * Makes target tables fit the schemas that write them, additively: creates a missing table (key
 * columns NOT NULL and the primary key, every other column nullable, plus the two position columns),
 * adds a nullable column for a new field, never drops or narrows anything. Every DDL statement is
 * logged in `sluice_schema_migrations` in the transaction that runs it. Decided once per table and
 * schema version (`signature`); concurrent instances serialise on an advisory lock per table.
 */
export class TableShaper {
  private readonly shaped = new Map<string, Promise<void>>();
  /** By table version: FITS once shaped (the per-record answer, without a promise), its shaping until then. */
  private byTable = new WeakMap<TargetTable, Promise<void> | typeof FITS>();
  private readonly existing = new Set<string>();

  constructor(
    private readonly pool: Pool,
    private readonly books: BookkeepingTables,
    private readonly options: ShaperOptions,
  ) {}

  /**
   * Undefined once `table` is known to have every column of this schema version (per record: one
   * lookup by the table version object, which the processor builds once); else a promise that
   * resolves when it has them, or rejects with IncompatibleTableError.
   */
  ensure(table: TargetTable, schemaId: number): Promise<void> | undefined {
    const known = this.byTable.get(table);
    if (known === FITS) return undefined;
    if (known) return known;
    const key = `${table.qualified}\u0000${table.signature}`;
    let shaping = this.shaped.get(key);
    if (!shaping) {
      // A lost connection is the target's outage, not the record's fault: retried, never dead-lettered.
      shaping = this.shape(table, schemaId).then(
        () => {
          this.existing.add(table.qualified);
        },
        (error: unknown) => {
          throw targetFailure(error);
        },
      );
      this.shaped.set(key, shaping);
    }
    const settled = shaping;
    // This generation's map: after a `forget()` meanwhile, the table is checked again.
    const byTable = this.byTable;
    byTable.set(table, settled);
    settled.then(
      () => {
        if (byTable.get(table) === settled) byTable.set(table, FITS);
      },
      // A failure is decided again next time (the operator may have fixed the table); after a
      // `forget()` the entries may be a newer shaping's, which stay.
      () => {
        if (this.shaped.get(key) === settled) this.shaped.delete(key);
        if (byTable.get(table) === settled) byTable.delete(table);
      },
    );
    return settled;
  }

  /**
   * Forgets every decision: each table is checked again at its next record. Called when a write
   * found a table other than checked (a column's type changed by hand, or by the other side of a
   * two-way sync): checked again, its records meet IncompatibleTableError, and are dead-lettered
   * with the column and both types, instead of the batch failing over and over.
   */
  forget(): void {
    this.shaped.clear();
    this.byTable = new WeakMap();
  }

  /** Whether the table exists (a tombstone for a table never written deletes nothing). */
  async exists(qualified: string): Promise<boolean> {
    if (this.existing.has(qualified)) return true;
    const { rows } = await this.pool
      .query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [qualified])
      .catch((error: unknown) => {
        throw targetFailure(error);
      });
    if (rows[0]?.oid) this.existing.add(qualified);
    return Boolean(rows[0]?.oid);
  }

  /**
   * Two-way sync: puts the tombstone trigger on an existing table at start, keyed by its primary key
   * (the key order the source's change keys have), so that a row deleted here before the sink meets
   * a change of the table still leaves a tombstone and an older change from the other side cannot
   * bring it back. A table not there yet, or without a primary key, gets the trigger when its first
   * change is shaped.
   */
  guardDeletions(schema: string, name: string): Promise<void> {
    const qualified = `${ident(schema)}.${ident(name)}`;
    return this.changeLocked(qualified, `${schema}.${name}`, null, async (client) => {
      const { rows: keyColumns } = await client.query<{ name: string }>(
        `SELECT a.attname AS name FROM pg_index i ` +
          `JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) ` +
          `WHERE i.indrelid = to_regclass($1) AND i.indisprimary ` +
          `ORDER BY array_position(i.indkey::int2[], a.attnum)`,
        [qualified],
      );
      if (keyColumns.length === 0 || (await this.hasTombstoneTrigger(client, qualified))) return [];
      return [tombstoneTriggerStatement({ qualified, keyColumns }, this.books)];
    });
  }

  private shape(table: TargetTable, schemaId: number): Promise<void> {
    const tableName = `${table.schema}.${table.name}`;
    return this.changeLocked(table.qualified, tableName, schemaId, async (client) => {
      const present = await this.columnsOf(client, table.qualified);
      if (present !== undefined && table.keyColumns.length > 0) await this.checkKey(client, table);
      const ddl =
        present === undefined
          ? this.createStatements(table)
          : await this.evolveStatements(client, table, present);
      if (table.options.history) {
        const history = await client.query('SELECT to_regclass($1) AS oid', [historyTableOf(table)]);
        if (!history.rows[0]?.oid) ddl.push(historyDdl(table));
      }
      if (
        this.options.syncTombstones &&
        table.keyColumns.length > 0 &&
        !(await this.hasTombstoneTrigger(client, table.qualified))
      )
        ddl.push(tombstoneTriggerStatement(table, this.books));
      return ddl;
    });
  }

  /**
   * Runs the DDL `plan` decides for one table, under the table's advisory lock (concurrent sink
   * instances serialise) and in one transaction with its log rows in sluice_schema_migrations.
   */
  private async changeLocked(
    qualified: string,
    tableName: string,
    schemaId: number | null,
    plan: (client: PoolClient) => Promise<string[]>,
  ): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sluice-sink:${qualified}`]);
      for (const statement of await plan(client)) {
        await client.query(statement);
        await client.query(
          `INSERT INTO ${this.books.migrations} (table_name, statement, schema_id) VALUES ($1, $2, $3)`,
          [tableName, statement, schemaId],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async hasTombstoneTrigger(client: PoolClient, qualified: string): Promise<boolean> {
    const { rowCount } = await client.query(
      `SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = 'sluice_sync_tombstone'`,
      [qualified],
    );
    return (rowCount ?? 0) > 0;
  }

  private async columnsOf(client: PoolClient, qualified: string): Promise<Map<string, string> | undefined> {
    const { rows } = await client.query<{ name: string; type: string }>(
      `SELECT a.attname AS name, a.atttypid::regtype::text AS type FROM pg_attribute a ` +
        `WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
      [qualified],
    );
    if (rows.length === 0) {
      const exists = await client.query('SELECT to_regclass($1) AS oid', [qualified]);
      if (!exists.rows[0]?.oid) return undefined;
    }
    return new Map(rows.map((r) => [r.name, r.type]));
  }

  /**
   * Upserts need a unique index on exactly the key columns (`ON CONFLICT (key)`); a table made by
   * hand without one would fail every batch, so its records are refused here instead.
   */
  private async checkKey(client: PoolClient, table: TargetTable): Promise<void> {
    const { rows } = await client.query<{ found: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = to_regclass($1) AND i.indisunique ` +
        `AND i.indpred IS NULL AND i.indexprs IS NULL AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text) ` +
        `FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) = ` +
        `(SELECT array_agg(k ORDER BY k) FROM unnest($2::text[]) k)) AS found`,
      [table.qualified, table.keyColumns.map((c) => c.name)],
    );
    if (!rows[0]?.found)
      throw new IncompatibleTableError(
        table.qualified,
        `no primary key or unique index on exactly the key columns (${table.keyColumns.map((c) => c.name).join(', ')})`,
      );
  }

  private createStatements(table: TargetTable): string[] {
    if (!this.options.autoCreate)
      throw new IncompatibleTableError(table.qualified, 'the table does not exist and autoCreate is off');
    const keys = new Set(table.keyColumns.map((c) => c.name));
    const columns = table.columns.map(
      (c) => `${ident(c.name)} ${c.type.pgType}${keys.has(c.name) ? ' NOT NULL' : ''}`,
    );
    columns.push(`${ident(LSN_COLUMN)} bigint`, `${ident(TS_COLUMN)} bigint`);
    const primaryKey = table.keyColumns.map((c) => ident(c.name)).join(', ');
    return [
      `CREATE SCHEMA IF NOT EXISTS ${ident(table.schema)}`,
      `CREATE TABLE ${table.qualified} (${columns.join(', ')}, PRIMARY KEY (${primaryKey}))`,
    ];
  }

  private async evolveStatements(
    client: PoolClient,
    table: TargetTable,
    present: Map<string, string>,
  ): Promise<string[]> {
    const wanted: ColumnPlan[] = [
      ...table.columns,
      ...[LSN_COLUMN, TS_COLUMN].map((name) => ({
        name,
        type: { pgType: 'bigint', nullable: true, toText: () => null },
      })),
    ];
    const { rows } = await client.query<{ spec: string; type: string | null }>(
      'SELECT spec, to_regtype(spec)::text AS type FROM unnest($1::text[]) AS spec',
      [[...new Set(wanted.map((c) => c.type.pgType))]],
    );
    const baseType = new Map(rows.map((r) => [r.spec, r.type]));
    const ddl: string[] = [];
    for (const column of wanted) {
      const existing = present.get(column.name);
      const base = baseType.get(column.type.pgType);
      if (existing === undefined) {
        if (!this.options.autoEvolve)
          throw new IncompatibleTableError(
            table.qualified,
            `column ${column.name} is missing and autoEvolve is off`,
          );
        ddl.push(
          `ALTER TABLE ${table.qualified} ADD COLUMN IF NOT EXISTS ${ident(column.name)} ${column.type.pgType}`,
        );
      } else if (base !== existing && !WIDER[base ?? '']?.includes(existing)) {
        throw new IncompatibleTableError(
          table.qualified,
          `column ${column.name} is ${existing}, the schema needs ${base ?? column.type.pgType}`,
        );
      }
    }
    return ddl;
  }
}

/**
 * Column types a table made by hand may use for a field instead of the type the sink would create:
 * every value of the field fits (varchar's length is checked by Postgres per row: a refused row is
 * dead-lettered).
 */
const WIDER: Record<string, readonly string[]> = {
  text: ['character varying', 'character', 'citext'],
  smallint: ['integer', 'bigint', 'numeric'],
  integer: ['bigint', 'numeric'],
  bigint: ['numeric'],
  real: ['double precision'],
  jsonb: ['json'],
};

function historyDdl(table: TargetTable): string {
  return (
    `CREATE TABLE ${historyTableOf(table)} (history_id bigserial PRIMARY KEY, op text NOT NULL, ` +
    `source_lsn bigint, source_ts_ms bigint, before jsonb, after jsonb, topic text NOT NULL, ` +
    `"partition" int NOT NULL, "offset" bigint NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`
  );
}
