import { setTimeout as sleepFor } from 'node:timers/promises';
import { isRetriable } from '../sluice-error';
import { nextDelay, type RetryPolicy } from './retry-policy';

/** Why `retry` stopped without a result. */
export type RetryStopReason = 'not-retriable' | 'max-attempts' | 'max-elapsed' | 'aborted';

/** Attempt count and times (epoch ms) — what a dead-letter record says about the failure. */
export interface AttemptHistory {
  readonly attempts: number;
  readonly firstAttemptAt: number;
  readonly lastAttemptAt: number;
}

export type RetryOutcome<T> =
  | (AttemptHistory & { readonly ok: true; readonly value: T })
  | (AttemptHistory & { readonly ok: false; readonly error: unknown; readonly reason: RetryStopReason });

export interface RetryOptions {
  /** Stops waiting and retrying (partition revoked, shutdown); the outcome says `aborted`. */
  readonly signal?: AbortSignal;
  /** Called before each wait: the error of the failed attempt, its number and the delay ahead. */
  readonly onRetry?: (event: { error: unknown; attempt: number; delayMs: number }) => void;
  /** Clock and randomness, injectable for tests. */
  readonly now?: () => number;
  readonly rng?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  sleepFor(ms, undefined, { signal }).catch(() => undefined);

/**
 * Runs `fn` until it succeeds or the policy says stop (kafkajs's retrier). Only errors that declare
 * themselves retriable (`SluiceError.retriable`) are retried; anything else — a FatalRecordError, a
 * TypeError or any other programmer error — stops at once, so a caller classifies what it catches
 * where the error is born. Never throws for `fn`'s errors: the outcome carries the last error, why
 * it stopped, and the attempt history.
 */
export async function retry<T>(
  fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  options: RetryOptions = {},
): Promise<RetryOutcome<T>> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const signal = options.signal;
  const firstAttemptAt = now();
  let lastAttemptAt = firstAttemptAt;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) lastAttemptAt = now();
    const history = { attempts: attempt, firstAttemptAt, lastAttemptAt };
    let error: unknown;
    try {
      return { ok: true, value: await fn(attempt, signal), ...history };
    } catch (caught) {
      error = caught;
    }
    const stop = (reason: RetryStopReason): RetryOutcome<T> => ({ ok: false, error, reason, ...history });
    if (!isRetriable(error)) return stop('not-retriable');
    if (signal?.aborted) return stop('aborted');
    if (attempt >= policy.maxAttempts) return stop('max-attempts');
    const delayMs = nextDelay(policy, attempt, options.rng);
    if (now() + delayMs - firstAttemptAt > policy.maxElapsedMs) return stop('max-elapsed');
    options.onRetry?.({ error, attempt, delayMs });
    await sleep(delayMs, signal);
    if (signal?.aborted) return stop('aborted');
  }
}

/** `retry` for callers without a dead-letter path: the value, or the last error thrown as it was. */
export async function retryOrThrow<T>(
  fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  options: RetryOptions = {},
): Promise<T> {
  const outcome = await retry(fn, policy, options);
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}
