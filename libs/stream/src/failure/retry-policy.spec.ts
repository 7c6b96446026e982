import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULT_RETRY_POLICY } from '@sluice/errors';
import { parseRetryPolicy, retryPolicySchema } from './retry-policy';

// Config-parse tests: every field documented, every bad value named.
describe('RetryPolicy config', () => {
  it('documents and applies the defaults of DEFAULT_RETRY_POLICY', () => {
    const parsed = parseRetryPolicy({});
    assert.deepEqual(parsed, DEFAULT_RETRY_POLICY);
    assert.ok(Object.isFrozen(parsed));
    for (const [field, spec] of Object.entries(retryPolicySchema.shape)) {
      const value = DEFAULT_RETRY_POLICY[field as keyof typeof DEFAULT_RETRY_POLICY];
      assert.ok(spec.description?.includes(`Default ${value}`), `${field} documents its default ${value}`);
    }
  });

  const bad: Array<[object, string]> = [
    [{ maxAttempts: 0 }, 'maxAttempts'],
    [{ maxAttempts: 2.5 }, 'maxAttempts'],
    [{ initialDelayMs: -1 }, 'initialDelayMs'],
    [{ multiplier: 0.5 }, 'multiplier'],
    [{ jitter: 'some' }, 'jitter'],
    [{ maxElapsedMs: 'soon' }, 'maxElapsedMs'],
    [{ initialDelayMs: 5_000, maxDelayMs: 1_000 }, 'maxDelayMs'],
  ];
  for (const [raw, field] of bad) {
    it(`refuses ${JSON.stringify(raw)} with a ConfigError naming ${field}`, () => {
      assert.throws(
        () => parseRetryPolicy(raw, 'pipelines[0].retry'),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.path === field &&
          err.message.startsWith('pipelines[0].retry') &&
          err.message.includes(field),
      );
    });
  }

  it('refuses unknown fields (a typo is not silently ignored)', () => {
    assert.throws(
      () => parseRetryPolicy({ maxAttempt: 3 }),
      (e: unknown) => e instanceof ConfigError && /maxAttempt/.test(e.message),
    );
  });

  it('never mutates the caller object', () => {
    const raw = { maxAttempts: 3 };
    parseRetryPolicy(raw);
    assert.deepEqual(raw, { maxAttempts: 3 });
  });
});
