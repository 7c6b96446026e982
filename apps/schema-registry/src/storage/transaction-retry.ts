import { setTimeout as sleep } from 'node:timers/promises';
import { QueryFailedError } from 'typeorm';

/**
 * Postgres errors that mean "another replica got there first": a unique violation, a
 * serialization failure, a deadlock. Doing the same transaction again resolves them.
 */
const CONFLICT_CODES = new Set(['23505', '40001', '40P01']);

export function isTransientConflict(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && CONFLICT_CODES.has(code);
}

export interface RetryPolicy {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_CONFLICT_RETRY: RetryPolicy = { attempts: 10, initialDelayMs: 2, maxDelayMs: 100 };

/** Runs `work` again on transient conflicts, with exponential backoff and full jitter. */
export async function retryOnConflict<T>(
  work: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_CONFLICT_RETRY,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= policy.attempts || !isTransientConflict(error)) throw error;
      const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * ceiling);
    }
  }
}
