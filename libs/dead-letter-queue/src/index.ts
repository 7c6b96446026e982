// @sluice/dead-letter-queue — a consumer group's dead-letter queue for operators (`sluice dlq`):
// reading `<group>.dlq` into DeadLetters, summaries and filters, rendering for people through the
// registry, redrive back to the original topics with the runtime's parked-key release protocol,
// purge, and the `<group>.dlq.audit` trail. See docs/dlq.md. Everything else here is internal.
export {
  type DeadLetter,
  type DeadLetterQueueRecord,
  toDeadLetter,
  deadLetterId,
  PARKED_CLASS,
  UNKNOWN_CLASS,
} from './dead-letter/dead-letter';
export { type DeadLetterFilter, keyTexts, matchesFilter } from './dead-letter/dead-letter-filter';
export { selectDeadLetters } from './dead-letter/dead-letter-selection';
export { type DeadLetterSummary, type ErrorClassCount, summarize } from './dead-letter/dead-letter-summary';
export {
  DeadLetterQueue,
  DeadLetterQueueNotFoundError,
  type AuditedRun,
  type RedriveResult,
  type PurgeResult,
} from './reading/dead-letter-queue';
export {
  planRedrive,
  type ParkedKey,
  type RedriveCopy,
  type RedrivePlan,
  type RedrivePlanInput,
  type RedriveRelease,
} from './redrive/redrive-plan';
export { planPurge, type PurgePlan, type PurgePartition, PurgeRefusedError } from './purge/purge-plan';
export {
  auditTopicFor,
  type AuditRecord,
  type RedriveAuditRecord,
  type PurgeAuditRecord,
  MalformedAuditRecordError,
  encodeAuditRecord,
  decodeAuditRecord,
} from './audit/audit-record';
export {
  DeadLetterRenderer,
  type RenderedBytes,
  type RenderedDeadLetter,
} from './render/dead-letter-renderer';
