// @sluice/stream — the stream runtime's pure core: key-ordered scheduling, offset tracking, retry
// policy, dead-letter records and key parking. Everything else in this lib is internal.
export { type RecordKey, keyIdentity } from './ordering/record-key';
export {
  KeyScheduler,
  type KeySchedulerOptions,
  type RecordHandler,
  type SchedulableRecord,
  type SettleReport,
} from './ordering/key-scheduler';
export { OffsetTracker } from './offsets/offset-tracker';
export {
  retryPolicySchema,
  type RetryPolicy,
  type RetryPolicyInput,
  parseRetryPolicy,
  DEFAULT_RETRY_POLICY,
  nextDelay,
  retry,
  type RetryOptions,
  type RetryOutcome,
  type RetryStopReason,
  type AttemptHistory,
} from './failure/retry-policy';
export { ParkedKeys } from './failure/key-parking';
export {
  dlqTopicFor,
  DEAD_LETTER_HEADERS,
  CONNECT_STAGES,
  type ConnectStage,
  type ConsumedRecord,
  type DeadLetterContext,
  type DeadLetterReason,
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
