import { setTimeout as sleepFor } from 'node:timers/promises';
import { z } from 'zod';
import { parseConfig } from '@sluice/config';
import { isRetriable } from '@sluice/errors';

/**
 * How a record's processing is retried, as data validated up front (Temporal's compileRetryPolicy):
 * the schema is the documentation of every field and its default. Delays grow exponentially from
 * `initialDelayMs` by `multiplier` up to `maxDelayMs`, with jitter so that many consumers hitting
 * the same outage do not retry in lockstep.
 */
export const retryPolicySchema = z
  .strictObject({
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .default(5)
      .describe('Attempts in all, the first included; 1 means never retry. Default 5.'),
    initialDelayMs: z
      .number()
      .int()
      .min(0)
      .default(200)
      .describe('Delay before the second attempt, in milliseconds. Default 200.'),
    maxDelayMs: z
      .number()
      .int()
      .min(0)
      .default(30_000)
      .describe('Upper bound of any single delay, in milliseconds; at least initialDelayMs. Default 30000.'),
    multiplier: z
      .number()
      .min(1)
      .default(2)
      .describe('Growth factor of the delay between attempts; at least 1 (1 = constant). Default 2.'),
    jitter: z
      .enum(['full', 'equal', 'none'])
      .default('full')
      .describe(
        'full: a random delay in [0, d]; equal: d/2 plus a random share of d/2; none: exactly d. Default full.',
      ),
    maxElapsedMs: z
      .number()
      .int()
      .min(0)
      .default(300_000)
      .describe(
        'No attempt starts later than this many milliseconds after the first; the record then goes to the ' +
          'dead-letter topic. Default 300000 (5 minutes).',
      ),
  })
  .refine((p) => p.maxDelayMs >= p.initialDelayMs, {
    path: ['maxDelayMs'],
    message: 'must be at least initialDelayMs',
  });

export type RetryPolicy = Readonly<z.output<typeof retryPolicySchema>>;
export type RetryPolicyInput = z.input<typeof retryPolicySchema>;

/** Validates a retry policy; a problem throws a ConfigError naming the field. Defaults fill gaps. */
export function parseRetryPolicy(raw: unknown, source = 'retry policy'): RetryPolicy {
  return Object.freeze(parseConfig(retryPolicySchema, raw, { source, env: {} }));
}

/** The policy with every default, e.g. for components configured without one. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = parseRetryPolicy({}, 'default retry policy');

/**
 * The delay before attempt `attempt + 1`, after `attempt` failed attempts (1 for the delay after the
 * first failure). Pure: `rng` returns a number in [0, 1). Whole milliseconds.
 */
export function nextDelay(policy: RetryPolicy, attempt: number, rng: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be >= 1, got ${attempt}`);
  const exponential = policy.initialDelayMs * policy.multiplier ** (attempt - 1);
  const ceiling = Math.min(policy.maxDelayMs, exponential);
  switch (policy.jitter) {
    case 'none':
      return Math.floor(ceiling);
    case 'equal':
      return Math.floor(ceiling / 2 + rng() * (ceiling / 2));
    case 'full':
      return Math.floor(rng() * ceiling);
  }
}

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
 * Runs `fn` until it succeeds or the policy says stop. Only errors that declare themselves
 * retriable (`SluiceError.retriable`) are retried; anything else — a FatalRecordError, a TypeError
 * or any other programmer error — stops at once. Never throws for `fn`'s errors: the outcome
 * carries the last error, why it stopped, and the attempt history for the dead-letter headers.
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
