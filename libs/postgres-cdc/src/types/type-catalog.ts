import { RetriableError } from '@sluice/errors';
import type { CatalogQuery } from './catalog-query';
import type { PgType } from './pg-type';

// Every type but composite row types (one per table) and pseudo types; arrays of row types too.
const TYPES_SQL = `
SELECT t.oid::text AS oid, n.nspname AS schema, t.typname AS name, t.typtype AS kind,
       CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE 0 END::text AS element,
       t.typbasetype::text AS base, t.typtypmod::text AS base_typmod,
       CASE WHEN t.typtype = 'e' THEN (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder)
                                        FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid)::text END AS labels
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_type el ON el.oid = t.typelem AND t.typcategory = 'A'
WHERE t.typtype IN ('b', 'd', 'e', 'r', 'm') AND coalesce(el.typtype, 'b') <> 'c'`;

const KINDS: Readonly<Record<string, PgType['kind']>> = {
  b: 'base',
  d: 'domain',
  e: 'enum',
  r: 'range',
  m: 'multirange',
};

/**
 * The database's types (Debezium's `TypeRegistry`): loaded with one query, looked up by OID or
 * name. A Relation message naming an OID the catalog does not know (an enum or domain created
 * since) triggers one reload through `ensure`.
 */
export class TypeCatalog {
  private byOid = new Map<number, PgType>();
  private byName = new Map<string, PgType>();

  private constructor(private readonly client: CatalogQuery) {}

  static async load(client: CatalogQuery): Promise<TypeCatalog> {
    const catalog = new TypeCatalog(client);
    await catalog.refresh();
    return catalog;
  }

  /** A catalog from known types, without a database (tests, tools). */
  static of(types: readonly PgType[]): TypeCatalog {
    const catalog = new TypeCatalog({
      query: () => Promise.reject(new Error('TypeCatalog.of has no database to query')),
    });
    catalog.index(types);
    return catalog;
  }

  async refresh(): Promise<void> {
    let rows: Array<Record<string, unknown>>;
    try {
      ({ rows } = await this.client.query(TYPES_SQL));
    } catch (error) {
      throw new RetriableError('Could not load the Postgres type catalog (pg_type)', {
        cause: error,
        code: 'PG_TYPE_CATALOG_UNAVAILABLE',
      });
    }
    this.index(rows.map(toPgType));
  }

  /** Reloads once when any of `oids` is unknown; answers the OIDs still unknown afterwards. */
  async ensure(oids: Iterable<number>): Promise<number[]> {
    const missing = () => [...oids].filter((oid) => !this.byOid.has(oid));
    if (missing().length === 0) return [];
    await this.refresh();
    return missing();
  }

  get(oid: number): PgType | undefined {
    return this.byOid.get(oid);
  }

  /** By `schema.name` or, for `pg_catalog` and unique names, by bare name (`hstore`, `citext`). */
  byTypeName(name: string): PgType | undefined {
    return this.byName.get(name);
  }

  get size(): number {
    return this.byOid.size;
  }

  private index(types: readonly PgType[]): void {
    const byOid = new Map<number, PgType>();
    const byName = new Map<string, PgType>();
    const bare = new Map<string, PgType | null>();
    for (const type of types) {
      byOid.set(type.oid, type);
      byName.set(`${type.schema}.${type.name}`, type);
      const seen = bare.get(type.name);
      bare.set(
        type.name,
        seen === undefined || type.schema === 'pg_catalog'
          ? type
          : seen?.schema === 'pg_catalog'
            ? seen
            : null,
      );
    }
    for (const [name, type] of bare) if (type) byName.set(name, type);
    this.byOid = byOid;
    this.byName = byName;
  }
}

function toPgType(row: Record<string, unknown>): PgType {
  const labels = row.labels;
  return {
    oid: Number(row.oid),
    schema: String(row.schema),
    name: String(row.name),
    kind: KINDS[String(row.kind)] ?? 'base',
    elementOid: Number(row.element),
    baseOid: Number(row.base),
    baseTypeModifier: Number(row.base_typmod),
    enumLabels:
      typeof labels === 'string'
        ? (JSON.parse(labels) as string[])
        : Array.isArray(labels)
          ? (labels as string[])
          : [],
  };
}
