import { setTimeout as sleepFor } from 'node:timers/promises';

/**
 * Time as the limiters see it (a token bucket, a circuit breaker): epoch milliseconds and a sleep,
 * injectable, so specs run a fake clock instead of waiting.
 */
export interface Clock {
  now(): number;
  /** Resolves after `ms` (at once for 0); rejects when `signal` fires. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    ms <= 0 && !signal?.aborted ? Promise.resolve() : sleepFor(ms, undefined, { signal }),
};
