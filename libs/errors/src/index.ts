// @sluice/errors — the lowest floor: Sluice's error hierarchy (retriability is a property of the
// error), the one retry every lib uses (exponential backoff with jitter, a policy validated up
// front), the one judgement of Postgres failures (by SQLSTATE class and socket code), and what
// the limiters pace with (an injectable Clock, the one TokenBucket). Everything else
// in this lib is internal.
export {
  SluiceError,
  RetriableError,
  DependencyUnavailableError,
  isDependencyOutage,
  FatalRecordError,
  ConfigError,
  EnvironmentError,
  isRetriable,
} from './sluice-error';
export {
  type Jitter,
  type Backoff,
  type RetryPolicy,
  type RetryPolicyInput,
  DEFAULT_RETRY_POLICY,
  compileRetryPolicy,
  nextDelay,
} from './retry/retry-policy';
export {
  retry,
  retryOrThrow,
  type RetryOptions,
  type RetryOutcome,
  type RetryStopReason,
  type AttemptHistory,
} from './retry/retry';
export {
  classifyPostgresFailure,
  sqlStateOf,
  type PostgresFailure,
  type PostgresFailureKind,
} from './postgres/postgres-failure';
export { type Clock, systemClock } from './time/clock';
export { TokenBucket } from './limits/token-bucket';
export { DeadlineExceededError, withDeadline } from './deadline/deadline';
