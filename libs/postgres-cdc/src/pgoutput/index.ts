export type { PgTimestamp } from './buffer-cursor';
export { PgOutputDecodeError } from './pgoutput-decode-error';
export { PgOutputDecoder } from './pgoutput-decoder';
export {
  type BeginMessage,
  type BeginPrepareMessage,
  type CommitMessage,
  type CommitPreparedMessage,
  type DeleteMessage,
  type InsertMessage,
  type LogicalMessage,
  type OldTupleKind,
  type OriginMessage,
  type PgOutputMessage,
  type PrepareMessage,
  type Relation,
  type RelationColumn,
  type RelationMessage,
  type ReplicaIdentity,
  type RollbackPreparedMessage,
  type StreamAbortMessage,
  type StreamCommitMessage,
  type StreamStartMessage,
  type StreamStopMessage,
  type TruncateMessage,
  type TupleValue,
  type TypeMessage,
  type UnchangedToast,
  type UpdateMessage,
  UNCHANGED_TOAST,
} from './pgoutput-message';
export { RelationCache } from './relation-cache';
