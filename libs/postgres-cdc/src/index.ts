// @sluice/postgres-cdc — the Postgres CDC source. So far its pure parts: the `Lsn` value type and
// the pgoutput logical-replication decoder (bytes in, typed messages out, no I/O).
export * from './lsn';
export * from './pgoutput';
export {
  sourceConfigSchema,
  SNAPSHOT_MODES,
  type SnapshotMode,
  type SourceConfig,
  type SourceConfigInput,
} from './config/source-config';
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
