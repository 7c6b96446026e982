// @sluice/stream — the stream runtime: a Kafka consumer-group loop (StreamRuntime) that runs an
// application's RecordProcessor per record with per-key order, key-level concurrency, retries,
// dead-letter topics, key parking and exactly-once or at-least-once delivery; its pure core
// (KeyScheduler, OffsetTracker, the retry policy's config, dead-letter headers, ParkedKeys); and the Nest
// transport (SluiceTransport). See docs/stream-runtime.md. Everything else in this lib is internal.
export {
  StreamRuntime,
  type StreamRuntimeOptions,
  type DeliveryContext,
  type PartitionProgress,
  type GroupMembership,
  PartitionLostError,
  RuntimeStoppedError,
} from './runtime/stream-runtime';
export {
  RuntimeSupervisor,
  appRecovery,
  isRecoverableRuntimeFailure,
  type SupervisedPhase,
  type SupervisorRecovery,
  type SupervisorLog,
} from './runtime/runtime-supervisor';
export { requireInputTopics } from './runtime/input-topics';
export {
  streamRuntimeConfigSchema,
  type StreamRuntimeConfig,
  type StreamRuntimeConfigInput,
  parseStreamRuntimeConfig,
} from './runtime/stream-runtime-config';
export {
  type RecordOutcome,
  type KeptParked,
  keptParkedLog,
  RecordAbandonedError,
} from './runtime/record-runner';
export { type StreamRecord, type OutputRecord } from './processor/stream-record';
export { type RecordProcessor, type ProcessContext } from './processor/record-processor';
export {
  type KeyValueStore,
  type StateAccess,
  type StateChange,
  type StoreRestoreProgress,
} from './state/key-value-store';
export { StateStore } from './state/state-store';
export {
  type StoreEngine,
  type StoreStorage,
  type StateStoreSpec,
  type StateStoreDeclaration,
  storeSpec,
} from './state/store-engine';
export { MemoryStoreEngine } from './state/memory-store-engine';
export { DiskStoreEngine, StateKeyTooLongError, MAX_DISK_KEY_BYTES } from './state/disk-store-engine';
export { StateDirectory, DiskPartition } from './state/state-directory';
export { StandbyStates, type StandbyPosition } from './state/standby-states';
export { RecordState } from './state/record-state';
export { PartitionState } from './state/partition-state';
export { ChangelogReader, type ChangelogRange } from './state/changelog-reader';
export { TableTopicFollower, type TableTopicRecord } from './state/table-topic-follower';
export { changelogTopicFor, STORE_NAME } from './state/changelog-topic';
export { StageFailure, inStage } from './processor/stage-failure';
export {
  type DeliveryStrategy,
  type PartitionDelivery,
  type TopicPartition,
  type GroupOffsetCommitter,
} from './delivery/partition-delivery';
export { TransactionCoordinator } from './delivery/transaction-coordinator';
export { OrderedOutputSender } from './delivery/ordered-output-sender';
export { GroupOffsetMirror, type GroupOffsetMirrorOptions } from './delivery/group-offset-mirror';
export { SluiceTransport, type SluiceTransportOptions } from './nest/sluice-transport';
export { SluiceRecordContext } from './nest/sluice-record-context';
export { type RecordKey, keyIdentity } from './ordering/record-key';
export {
  KeyScheduler,
  type KeySchedulerOptions,
  type RecordHandler,
  type SchedulableRecord,
  type SettleReport,
} from './ordering/key-scheduler';
export { OffsetTracker } from './offsets/offset-tracker';
export { retryPolicySchema, type RetryPolicyInput, parseRetryPolicy } from './failure/retry-policy';
export { ParkedKeys } from './failure/key-parking';
export {
  parkedTopicFor,
  MalformedParkedMarkerError,
  decodeParkedMarker,
  type ParkedKeyEntry,
} from './failure/parked-key-record';
export {
  REDRIVE_HEADERS,
  type RedriveMark,
  type RedriveOrigin,
  redrivenHeaders,
  readRedriveHeaders,
  formatRedriveOrigin,
  parseRedriveOrigin,
} from './dead-letter/redrive-headers';
export {
  dlqTopicFor,
  deadLetterTopicConfigs,
  DEAD_LETTER_HEADERS,
  CONNECT_STAGES,
  type ConnectStage,
  type ConsumedRecord,
  type DeadLetterContext,
  type DeadLetterReason,
  type DeadLetterLimit,
  type DeadLetterRecord,
  type DeadLetterInfo,
  buildDeadLetterRecord,
  readDeadLetterHeaders,
} from './dead-letter/dead-letter-headers';
export {
  type RecordHeader,
  type RecordHeaders,
  type HeaderMap,
  headersFromMap,
  headersToMap,
} from './dead-letter/record-headers';
