/** A table by schema and name, as Postgres spells them (case-sensitive, unquoted). */
export interface TableName {
  readonly schema: string;
  readonly table: string;
}

export function qualifiedName(name: TableName): string {
  return `${name.schema}.${name.table}`;
}

/** `"schema"."table"`, safe in SQL. */
export function quotedName(name: TableName): string {
  return `"${name.schema.replace(/"/g, '""')}"."${name.table.replace(/"/g, '""')}"`;
}

/** A `schema.table` pattern where `*` matches any run of characters (`public.*`, `sales.order_*`). */
export function tablePattern(pattern: string): (name: TableName) => boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (name) => regex.test(qualifiedName(name));
}

/**
 * Which tables the include/exclude patterns select, in the include list's order: the tables of
 * the first pattern, then those the second adds, each pattern's in `candidates` order. The
 * snapshot reads them in this order, as Debezium snapshots in table.include.list order.
 */
export function selectTables(
  candidates: readonly TableName[],
  include: readonly string[],
  exclude: readonly string[] = [],
): TableName[] {
  const included = include.map(tablePattern);
  const excluded = exclude.map(tablePattern);
  const rank = (t: TableName) => included.findIndex((m) => m(t));
  return candidates
    .map((table, at) => ({ table, at, rank: rank(table) }))
    .filter(({ table, rank }) => rank >= 0 && !excluded.some((m) => m(table)))
    .sort((a, b) => a.rank - b.rank || a.at - b.at)
    .map(({ table }) => table);
}
