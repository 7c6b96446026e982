/**
 * The one thing the catalogs need from a connection: run a query with parameters and get rows of
 * column name → value. A `pg.Client` or `pg.Pool` satisfies it as is; values may arrive as strings
 * or already parsed, the catalogs accept both.
 */
export interface CatalogQuery {
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}
