import { RetriableError } from '@sluice/errors';
import type { CatalogQuery } from './catalog-query';

/** What pgoutput's Relation message leaves out and Debezium takes from the table's metadata. */
export interface TableColumnFacts {
  /** Column names declared NOT NULL (Debezium's non-optional fields). */
  readonly notNull: ReadonlySet<string>;
  /** Primary-key column names in key order, empty when the table has none. */
  readonly primaryKey: readonly string[];
  /**
   * Column DEFAULT expressions as Postgres prints them (`pg_get_expr`, what JDBC's COLUMN_DEF
   * gives Debezium): `42`, `'dflt'::text`, `nextval('t_id_seq'::regclass)`. Generated columns
   * have none. Absent when not loaded.
   */
  readonly defaults?: ReadonlyMap<string, string>;
  /**
   * The table is a partition (pg_class.relispartition). Under publish_via_partition_root pgoutput
   * still sends a partition's Relation message before a change it publishes as the root's.
   */
  readonly partition?: boolean;
}

const COLUMNS_SQL = `
SELECT a.attname AS name, a.attnotnull AS not_null,
       (SELECT array_position(i.indkey::int2[], a.attnum) FROM pg_catalog.pg_index i
         WHERE i.indrelid = a.attrelid AND i.indisprimary)::text AS pk_position,
       CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END AS default_expr,
       (SELECT c.relispartition FROM pg_catalog.pg_class c WHERE c.oid = a.attrelid) AS is_partition
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped`;

/** Reads nullability and primary key of the table with OID `relationId` (a Relation's id). */
export async function loadTableColumnFacts(
  client: CatalogQuery,
  relationId: number,
): Promise<TableColumnFacts> {
  let rows: Array<Record<string, unknown>>;
  try {
    ({ rows } = await client.query(COLUMNS_SQL, [relationId]));
  } catch (error) {
    throw new RetriableError(`Could not read the columns of table OID ${relationId} (pg_attribute)`, {
      cause: error,
      code: 'PG_TABLE_CATALOG_UNAVAILABLE',
    });
  }
  const notNull = new Set<string>();
  const keyed: Array<[number, string]> = [];
  const defaults = new Map<string, string>();
  let partition = false;
  for (const row of rows) {
    if (row.is_partition === true || row.is_partition === 't') partition = true;
    const name = String(row.name);
    if (typeof row.default_expr === 'string') defaults.set(name, row.default_expr);
    if (row.not_null === true || row.not_null === 't') notNull.add(name);
    if (row.pk_position !== null && row.pk_position !== undefined)
      keyed.push([Number(row.pk_position), name]);
  }
  keyed.sort((a, b) => a[0] - b[0]);
  return { notNull, primaryKey: keyed.map(([, name]) => name), defaults, partition };
}
