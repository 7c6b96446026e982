export type { CatalogQuery } from './catalog-query';
export { PgOid } from './pg-oid';
export type { PgType } from './pg-type';
export { TypeCatalog } from './type-catalog';
export { loadTableColumnFacts, type TableColumnFacts } from './table-columns';
