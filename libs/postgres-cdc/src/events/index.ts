export {
  ChangeEventBuilder,
  type ChangeEvent,
  type ChangeEventBuilderOptions,
  type SourcePosition,
} from './change-event-builder';
export {
  type EnvelopeValue,
  SNAPSHOT_MARKERS,
  type SnapshotMarker,
  type SourceInfo,
  type TransactionBlock,
} from './source-schema';
export { type ColumnSlot, TableSchema, type TableSchemaOptions } from './table-schema';
export { TableWithoutKeyError } from './table-without-key-error';
