import { z } from 'zod';
import { parseConfig } from '@sluice/config';
import { compileRetryPolicy, DEFAULT_RETRY_POLICY as DEFAULTS, type RetryPolicy } from '@sluice/errors';

/**
 * A record's retry policy as configured (`runtime.failure.retry`, a pipeline's `retry`): the schema
 * is the documentation of every field and its default. The policy itself, its backoff and the retry
 * loop are @sluice/errors' (`RetryPolicy`, `retry`); defaults are DEFAULT_RETRY_POLICY's.
 */
export const retryPolicySchema = z
  .strictObject({
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .default(DEFAULTS.maxAttempts)
      .describe(`Attempts in all, the first included; 1 means never retry. Default ${DEFAULTS.maxAttempts}.`),
    initialDelayMs: z
      .number()
      .int()
      .min(0)
      .default(DEFAULTS.initialDelayMs)
      .describe(`Delay before the second attempt, in milliseconds. Default ${DEFAULTS.initialDelayMs}.`),
    maxDelayMs: z
      .number()
      .int()
      .min(0)
      .default(DEFAULTS.maxDelayMs)
      .describe(
        `Upper bound of any single delay, in milliseconds; at least initialDelayMs. Default ${DEFAULTS.maxDelayMs}.`,
      ),
    multiplier: z
      .number()
      .min(1)
      .default(DEFAULTS.multiplier)
      .describe(
        `Growth factor of the delay between attempts; at least 1 (1 = constant). Default ${DEFAULTS.multiplier}.`,
      ),
    jitter: z
      .enum(['full', 'equal', 'none'])
      .default(DEFAULTS.jitter)
      .describe(
        'full: a random delay in [0, d]; equal: d/2 plus a random share of d/2; none: exactly d. ' +
          `Default ${DEFAULTS.jitter}.`,
      ),
    maxElapsedMs: z
      .number()
      .int()
      .min(0)
      .default(DEFAULTS.maxElapsedMs)
      .describe(
        'No attempt starts later than this many milliseconds after the first; the record then goes to the ' +
          `dead-letter topic. Default ${DEFAULTS.maxElapsedMs} (5 minutes).`,
      ),
  })
  .refine((p) => p.maxDelayMs >= p.initialDelayMs, {
    path: ['maxDelayMs'],
    message: 'must be at least initialDelayMs',
  });

export type RetryPolicyInput = z.input<typeof retryPolicySchema>;

/** Validates a configured retry policy; a problem throws a ConfigError naming the field. Defaults fill gaps. */
export function parseRetryPolicy(raw: unknown, source = 'retry policy'): RetryPolicy {
  return compileRetryPolicy(parseConfig(retryPolicySchema, raw, { source, env: {} }), source);
}
