export { type PostgresConnectionOptions, TEXT_OUTPUT_SETTINGS } from './postgres-connection-options';
export { classifyPostgresError } from './postgres-errors';
export {
  type CreatedSlot,
  ReplicationConnection,
  type StartReplicationOptions,
  type SystemIdentity,
  protoVersionFor,
  quoteIdentifier,
} from './replication-connection';
export {
  type KeepaliveFrame,
  parseReplicationFrame,
  type ReplicationFrame,
  ReplicationProtocolError,
  standbyStatusUpdate,
  type XLogDataFrame,
} from './replication-protocol';
export {
  type ReplicationMessage,
  ReplicationStream,
  type ReplicationStreamOptions,
  type ReplicationStreamPosition,
} from './replication-stream';
export { PostgresSession, type TextRow } from './postgres-session';
export { type PublicationChange, Publication, type PublicationScope } from './publication';
export {
  listTables,
  ReplicationPreflight,
  type PreflightTarget,
  type SettingReader,
} from './replication-preflight';
export { ReplicationSlot, type ReplicationSlotState } from './replication-slot';
export { qualifiedName, quotedName, selectTables, type TableName, tablePattern } from './table-name';
