export {
  type ReplayDefinition,
  type ReplayCheckpoint,
  definitionDifferences,
} from './checkpoint/replay-checkpoint';
export { describeReplayRange } from './checkpoint/replay-range-text';
export { ReplayCheckpointStore, DEFAULT_CHECKPOINT_TOPIC } from './checkpoint/replay-checkpoint-store';
export {
  ReplayRepublisher,
  type RepublishRequest,
  type RepublishResult,
  type ReplayStart,
  type ReplayPartitionCount,
} from './republish/replay-republisher';
export { RecordReencoder } from './republish/record-reencoder';
export { type ReplayProgress } from './republish/replay-progress';
export { REPLAY_ID_HEADER, REPLAY_SOURCE_HEADER } from './republish/replay-record-mapper';
export {
  planGroupReset,
  groupIsIdle,
  type GroupResetPlan,
  type GroupResetStep,
} from './reset/group-reset-plan';
export { resetGroupOffsets } from './reset/group-offset-reset';
export {
  ReplayMismatchError,
  UnknownReplayError,
  GroupActiveError,
  MissingTopicError,
} from './replay-errors';
