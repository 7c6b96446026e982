import { ConfigError } from '../sluice-error';

/** How a delay is randomised: full: in [0, d); equal: d/2 plus a random share of d/2; none: exactly d. */
export type Jitter = 'full' | 'equal' | 'none';

/**
 * How the waits between attempts grow: from `initialDelayMs` by `multiplier` per attempt up to
 * `maxDelayMs`, with `jitter` so that many clients hitting the same outage do not retry in lockstep.
 */
export interface Backoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  readonly jitter: Jitter;
}

/**
 * How an operation is retried, as data (Temporal's RetryPolicy): its backoff, how many attempts in
 * all (the first included; 1 = never retry) and how long after the first no attempt may start.
 */
export interface RetryPolicy extends Backoff {
  readonly maxAttempts: number;
  readonly maxElapsedMs: number;
}

export type RetryPolicyInput = { readonly [K in keyof RetryPolicy]?: RetryPolicy[K] };

const JITTERS: readonly Jitter[] = ['full', 'equal', 'none'];

/**
 * The defaults of every field, documented where a policy is configured (`retryPolicySchema` of
 * @sluice/stream): 5 attempts, 200 ms doubling up to 30 s, full jitter, at most 5 minutes in all.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  initialDelayMs: 200,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 'full',
  maxElapsedMs: 300_000,
});

/**
 * Validates a retry policy up front (Temporal's compileRetryPolicy) and fills the missing fields
 * from DEFAULT_RETRY_POLICY. `maxAttempts` and `maxElapsedMs` may be Infinity (no bound). A
 * problem throws a ConfigError naming the field; the answer is frozen, the input never mutated.
 */
export function compileRetryPolicy(input: RetryPolicyInput = {}, source = 'retry policy'): RetryPolicy {
  const refuse = (field: string, problem: string): never => {
    throw new ConfigError(`${source}: at ${field}: ${problem}`, source, field);
  };
  for (const field of Object.keys(input)) {
    if (!(field in DEFAULT_RETRY_POLICY)) refuse(field, 'not a retry policy field');
  }
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...definedFields(input) };
  const whole = (field: keyof RetryPolicy, min: number, unbounded = false): void => {
    const value = policy[field];
    const ok =
      typeof value === 'number' &&
      value >= min &&
      (Number.isInteger(value) || (unbounded && value === Number.POSITIVE_INFINITY));
    if (!ok) refuse(field, `expected a whole number of at least ${min}, got ${String(value)}`);
  };
  whole('maxAttempts', 1, true);
  whole('initialDelayMs', 0);
  whole('maxDelayMs', 0);
  whole('maxElapsedMs', 0, true);
  if (!(Number.isFinite(policy.multiplier) && policy.multiplier >= 1))
    refuse('multiplier', `expected a number of at least 1, got ${String(policy.multiplier)}`);
  if (!JITTERS.includes(policy.jitter))
    refuse('jitter', `expected one of ${JITTERS.join(', ')}, got ${String(policy.jitter)}`);
  if (policy.maxDelayMs < policy.initialDelayMs) refuse('maxDelayMs', 'must be at least initialDelayMs');
  return Object.freeze(policy);
}

function definedFields(input: RetryPolicyInput): RetryPolicyInput {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

/**
 * The delay before attempt `attempt + 1`, after `attempt` failed attempts (1 for the delay after the
 * first failure): `initialDelayMs * multiplier^(attempt-1)`, capped at `maxDelayMs`, jittered.
 * Pure: `rng` returns a number in [0, 1). Whole milliseconds.
 */
export function nextDelay(backoff: Backoff, attempt: number, rng: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be >= 1, got ${attempt}`);
  const exponential =
    backoff.initialDelayMs === 0 ? 0 : backoff.initialDelayMs * backoff.multiplier ** (attempt - 1);
  const ceiling = Math.min(backoff.maxDelayMs, exponential);
  switch (backoff.jitter) {
    case 'none':
      return Math.floor(ceiling);
    case 'equal':
      return Math.floor(ceiling / 2 + rng() * (ceiling / 2));
    case 'full':
      return Math.floor(rng() * ceiling);
  }
}
