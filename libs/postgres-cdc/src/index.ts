// @sluice/postgres-cdc — the Postgres CDC source: the `Lsn` value type, the pgoutput decoder,
// snapshots, Debezium events, the PostgresSource, and the source-postgres connector that hosts it
// (src/connector: its definition, topics, probes, management entry and operator API).
export * from './lsn';
export * from './pgoutput';
export {
  sourceConfigSchema,
  SNAPSHOT_MODES,
  type SnapshotMode,
  type SourceConfig,
  type SourceConfigInput,
} from './config/source-config';
export {
  DEBEZIUM_POSTGRES_CONNECTOR,
  type DebeziumTranslation,
  translateDebeziumConfig,
} from './config/debezium-translation';
export { AcknowledgementWindow, type PendingTransaction } from './offsets/acknowledgement-window';
export * from './replication';
export * from './snapshot';
export * from './heartbeat';
export {
  ChangeEventPublisher,
  type ChangeEventPublisherOptions,
  type OutgoingEvent,
} from './publishing/change-event-publisher';
export type { HeldTable, SnapshotStatus, SourcePhase, SourceStatus } from './source/source-status';
export * from './types';
export * from './values';
export * from './events';
export { PostgresSource, SignalsNotConfiguredError, UnknownTableError } from './source/postgres-source';
export type { PostgresSourceDependencies, SourceLog } from './source/source-dependencies';
export { watchSourceMetrics } from './source/source-metrics';
export { sourcePostgresConnector, type RunningSource } from './connector/source-postgres-connector';
export { declareSourceTopics, type SourceTopicSettings } from './connector/source-topics';
