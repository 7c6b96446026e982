import { QueryFailedError } from 'typeorm';
import {
  classifyPostgresFailure,
  compileRetryPolicy,
  RetriableError,
  retry,
  type RetryPolicy,
} from '@sluice/errors';

/**
 * Postgres errors that mean "another replica got there first": a unique violation (23505), a
 * transaction rolled back by a serialization failure or a deadlock (class 40, transient). Doing the
 * same transaction again resolves them.
 */
export function isTransientConflict(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const failure = classifyPostgresFailure(error.driverError);
  return failure?.sqlState === '23505' || (failure?.kind === 'transaction-rollback' && failure.transient);
}

/** 10 attempts in all, 2 ms doubling up to 100 ms with full jitter. */
export const DEFAULT_CONFLICT_RETRY: RetryPolicy = compileRetryPolicy(
  { maxAttempts: 10, initialDelayMs: 2, maxDelayMs: 100, jitter: 'full', maxElapsedMs: Infinity },
  'schema registry conflict retry',
);

/** A transaction another replica got in the way of: retriable, carrying the database's error. */
class TransactionConflict extends RetriableError {
  constructor(readonly conflict: QueryFailedError) {
    super(`transaction conflict: ${conflict.message}`, { cause: conflict, code: 'REGISTRY_CONFLICT' });
  }
}

/**
 * Runs `work` again on transient conflicts, with exponential backoff and full jitter. Any other
 * error, and the last conflict once the attempts are spent, is thrown as the database gave it.
 */
export async function retryOnConflict<T>(
  work: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_CONFLICT_RETRY,
): Promise<T> {
  const outcome = await retry(async () => {
    try {
      return await work();
    } catch (error) {
      throw isTransientConflict(error) ? new TransactionConflict(error as QueryFailedError) : error;
    }
  }, policy);
  if (outcome.ok) return outcome.value;
  throw outcome.error instanceof TransactionConflict ? outcome.error.conflict : outcome.error;
}
