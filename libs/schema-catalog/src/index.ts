export { type CatalogSubject, type CatalogVersion, loadSchemaCatalog } from './schema-catalog';
export { RegistryApi, RegistryAnswerError } from './registry-api';
export {
  checkCatalog,
  diffWithRegistry,
  registerCatalog,
  IncompatibleSchemaError,
  type SubjectDiff,
  type SubjectProblems,
} from './catalog-checks';
