import type { Relation, RelationColumn, ReplicaIdentity } from '../pgoutput/pgoutput-message';
import type { PostgresSession } from '../replication/postgres-session';
import { qualifiedName, type TableName } from '../replication/table-name';
import { EnvironmentError } from '@sluice/errors';

const IDENTITIES: Readonly<Record<string, ReplicaIdentity>> = {
  d: 'default',
  n: 'nothing',
  f: 'full',
  i: 'index',
};

/** A captured table as the snapshot reads it: the same `Relation` shape pgoutput describes. */
export interface SnapshotTable {
  /** Columns in pgoutput's order (attnum, no dropped or generated columns), keys flagged as pgoutput flags them. */
  readonly relation: Relation;
  /** Columns the snapshot pages by: the primary key, else the replica identity index; empty = by ctid. */
  readonly pageKey: readonly RelationColumn[];
  /** Type names of the page key columns, for casting the last key's text back. */
  readonly pageKeyTypes: readonly string[];
  /** pg_class.reltuples (-1 when never analyzed). */
  readonly estimatedRows: number;
  /** A partitioned table (read through its root): ctids repeat across its partitions. */
  readonly partitioned?: boolean;
}

/** Reads a table's columns, identity and key from the catalog, in the caller's transaction. */
export async function describeTable(session: PostgresSession, name: TableName): Promise<SnapshotTable> {
  const context = `Describing table ${qualifiedName(name)}`;
  const [table] = await session.query(
    `SELECT c.oid::int::text AS oid, c.relreplident AS identity, c.reltuples::bigint::text AS reltuples,
            (c.relkind = 'p')::text AS partitioned
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [name.schema, name.table],
    context,
  );
  if (table === undefined) {
    throw new EnvironmentError(`Table ${qualifiedName(name)} does not exist`, { code: 'PG_MISSING_OBJECT' });
  }
  const columns = await session.query(
    `SELECT a.attname AS name, a.atttypid::int::text AS type_oid, a.atttypmod::text AS typmod,
            a.atttypid::regtype::text AS type_name,
            (SELECT array_position(i.indkey::int2[], a.attnum) FROM pg_index i
              WHERE i.indrelid = a.attrelid AND i.indisprimary)::text AS pk_position,
            (SELECT array_position(i.indkey::int2[], a.attnum) FROM pg_index i
              WHERE i.indrelid = a.attrelid AND i.indisreplident)::text AS ri_position
       FROM pg_attribute a
      WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attnum`,
    [table.oid],
    context,
  );
  const identity = IDENTITIES[table.identity as string] ?? 'default';
  const relationColumns: RelationColumn[] = columns.map((c, index) => ({
    index,
    name: c.name as string,
    typeOid: Number(c.type_oid),
    typeModifier: Number(c.typmod),
    isKey:
      identity === 'full' ||
      (identity === 'default' && c.pk_position !== null) ||
      (identity === 'index' && c.ri_position !== null),
  }));
  const byPosition = (field: 'pk_position' | 'ri_position') =>
    columns
      .map((c, index) => ({ position: c[field], index }))
      .filter((c) => c.position !== null)
      .sort((a, b) => Number(a.position) - Number(b.position))
      .map((c) => c.index);
  const pk = byPosition('pk_position');
  const keyIndexes = pk.length > 0 ? pk : byPosition('ri_position');
  return {
    relation: {
      relationId: Number(table.oid),
      schema: name.schema,
      table: name.table,
      replicaIdentity: identity,
      columns: relationColumns,
    },
    pageKey: keyIndexes.map((i) => relationColumns[i]),
    pageKeyTypes: keyIndexes.map((i) => columns[i].type_name as string),
    estimatedRows: Number(table.reltuples),
    ...(table.partitioned === 'true' && { partitioned: true }),
  };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The keyset-pagination query of a table, built once: `SELECT cols FROM t WHERE (key) > ($..)
 * ORDER BY key LIMIT n`, paging by ctid when the table has no usable key (the snapshot is fixed,
 * so ctids do not move under it) — by (tableoid, ctid) for a partitioned table, whose partitions'
 * ctids repeat.
 */
export class ChunkQuery {
  readonly first: string;
  readonly next: string;
  /** Index of the paging value(s) in each result row. */
  readonly keyIndexes: readonly number[];
  readonly byCtid: boolean;

  constructor(table: SnapshotTable, quotedTable: string) {
    const cols = table.relation.columns.map((c) => quoteIdent(c.name));
    this.byCtid = table.pageKey.length === 0;
    const ctidKey = table.partitioned ? ['tableoid', 'ctid'] : ['ctid'];
    const key = this.byCtid ? ctidKey : table.pageKey.map((c) => quoteIdent(c.name));
    const select = `SELECT ${[...cols, ...(this.byCtid ? ctidKey : [])].join(', ')} FROM ${quotedTable}`;
    const ctidParams = table.partitioned ? ['$1::oid', '$2::tid'] : ['$1::tid'];
    const params = this.byCtid ? ctidParams : table.pageKeyTypes.map((t, i) => `$${i + 1}::${t}`);
    const limit = `$${key.length + 1}`;
    const order = `ORDER BY ${key.join(', ')} LIMIT`;
    this.first = `${select} ${order} $1`;
    this.next = `${select} WHERE (${key.join(', ')}) > (${params.join(', ')}) ${order} ${limit}`;
    this.keyIndexes = this.byCtid
      ? ctidKey.map((_, i) => cols.length + i)
      : table.pageKey.map((c) => c.index);
  }

  /** The paging key of a row, to pass as the parameters of `next`. */
  keyOf(row: readonly (string | null)[]): (string | null)[] {
    return this.keyIndexes.map((i) => row[i]);
  }
}
