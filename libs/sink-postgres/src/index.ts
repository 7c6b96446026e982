// @sluice/sink-postgres — writes CDC (Debezium envelope) or unwrapped Avro topics to a target
// Postgres: batched upserts and deletes with the consumed offsets in the same transaction
// (exactly-once effect), additive table evolution, last-writer-wins with recorded conflicts,
// history tables. See docs/sink-postgres.md. Everything else in this lib is internal.
export { sinkPostgresConnector, type SinkPostgresConfigInput } from './connector/sink-postgres-connector';
export { sinkPostgresSettings } from './connector/sink-postgres-config';
export {
  PostgresSink,
  type SinkPostgresConfig,
  type PostgresSinkStatus,
  type PartitionStatus,
  type SinkPhase,
  type RouteSettings,
  type TopicTableSettings,
  routeFor,
  checkSyncSettings,
} from './connector/postgres-sink';
export {
  PostgresSinkDelivery,
  type PostgresSinkDeliveryOptions,
  type SinkCounters,
} from './delivery/postgres-sink-delivery';
export { ensureBookkeeping } from './target/bookkeeping';
export { TombstonePruner, type TombstonePrunerOptions } from './target/tombstone-pruner';
export {
  type ConflictPolicy,
  type ConflictRule,
  type FunctionRule,
  type LastWriter,
  type TableConflictRule,
  CONFLICT_RULES,
  conflictPolicyFor,
  LastWriterWins,
  ResolutionFunction,
  SourcePriority,
} from './conflict/conflict-policy';
export { functionRuleSchema, TABLE_RULE_EXPECTED } from './connector/sink-postgres-config';
export { ReplicationOrigin, replicationOriginName } from './target/replication-origin';
export { type BookkeepingTables } from './sql/change-statements';
export { type RowChange } from './plan/row-change';
export { columnTypeFor, type ColumnType } from './mapping/column-type';
export {
  UnmappableValueError,
  UnsupportedRecordError,
  IncompatibleTableError,
  TargetRejectedRowError,
  ConflictFunctionError,
  PartitionFencedError,
  TargetUnavailableError,
} from './sink-errors';
