import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../sluice-error';
import { compileRetryPolicy, DEFAULT_RETRY_POLICY, nextDelay, type Jitter } from './retry-policy';

const policy = (over: object = {}) => compileRetryPolicy({ jitter: 'none', initialDelayMs: 100, ...over });

describe('compileRetryPolicy', () => {
  it('fills every missing field from DEFAULT_RETRY_POLICY and freezes the answer', () => {
    assert.deepEqual(compileRetryPolicy(), DEFAULT_RETRY_POLICY);
    const compiled = compileRetryPolicy({ maxAttempts: 10, initialDelayMs: 2, maxDelayMs: 100 });
    assert.deepEqual(compiled, {
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: 10,
      initialDelayMs: 2,
      maxDelayMs: 100,
    });
    assert.ok(Object.isFrozen(compiled) && Object.isFrozen(DEFAULT_RETRY_POLICY));
  });

  it('takes Infinity for the bounds that may be absent, and undefined as "the default"', () => {
    const unbounded = compileRetryPolicy({
      maxAttempts: Infinity,
      maxElapsedMs: Infinity,
      jitter: undefined,
    });
    assert.equal(unbounded.maxAttempts, Infinity);
    assert.equal(unbounded.maxElapsedMs, Infinity);
    assert.equal(unbounded.jitter, DEFAULT_RETRY_POLICY.jitter);
  });

  const bad: Array<[object, string]> = [
    [{ maxAttempts: 0 }, 'maxAttempts'],
    [{ maxAttempts: 2.5 }, 'maxAttempts'],
    [{ initialDelayMs: -1 }, 'initialDelayMs'],
    [{ initialDelayMs: Infinity }, 'initialDelayMs'],
    [{ maxDelayMs: Number.NaN }, 'maxDelayMs'],
    [{ multiplier: 0.5 }, 'multiplier'],
    [{ multiplier: Infinity }, 'multiplier'],
    [{ jitter: 'some' }, 'jitter'],
    [{ maxElapsedMs: 'soon' }, 'maxElapsedMs'],
    [{ initialDelayMs: 5_000, maxDelayMs: 1_000 }, 'maxDelayMs'],
    [{ maxAttempt: 3 }, 'maxAttempt'],
  ];
  for (const [raw, field] of bad) {
    it(`refuses ${JSON.stringify(raw)} with a ConfigError naming ${field}`, () => {
      assert.throws(
        () => compileRetryPolicy(raw, 'target.retry'),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.path === field &&
          err.source === 'target.retry' &&
          err.message.startsWith(`target.retry: at ${field}: `),
      );
    });
  }

  it('never mutates the caller object', () => {
    const raw = { maxAttempts: 3 };
    compileRetryPolicy(raw);
    assert.deepEqual(raw, { maxAttempts: 3 });
  });
});

describe('nextDelay', () => {
  it('grows exponentially and is capped by maxDelayMs', () => {
    const p = policy({ multiplier: 3, maxDelayMs: 2_000 });
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((a) => nextDelay(p, a)),
      [100, 300, 900, 2_000, 2_000],
    );
  });

  it('doubles up to the cap without jitter: a plain Backoff literal is enough', () => {
    const backoff = { initialDelayMs: 1_000, maxDelayMs: 60_000, multiplier: 2, jitter: 'none' } as const;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 2_000].map((a) => nextDelay(backoff, a)),
      [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000],
    );
  });

  it('stays 0 for a zero initial delay, however many attempts', () => {
    assert.equal(nextDelay(policy({ initialDelayMs: 0 }), 5_000), 0);
  });

  it('full jitter spans [0, d), equal jitter spans [d/2, d)', () => {
    const full = policy({ jitter: 'full' });
    const equal = policy({ jitter: 'equal' });
    assert.equal(
      nextDelay(full, 2, () => 0),
      0,
    );
    assert.equal(
      nextDelay(full, 2, () => 0.5),
      100,
    );
    assert.equal(
      nextDelay(equal, 2, () => 0),
      100,
    );
    assert.equal(
      nextDelay(equal, 2, () => 0.999),
      199,
    );
  });

  it('property: every delay is a whole number within its jitter bounds', () => {
    const jitters: readonly Jitter[] = ['full', 'equal', 'none'];
    for (const initialDelayMs of [0, 1, 7, 200, 999])
      for (const maxDelayMs of [1_000, 4_321, 61_000])
        for (const multiplier of [1, 1.5, 2, 4.7])
          for (const jitter of jitters)
            for (const attempt of [1, 2, 3, 10, 40, 1_100])
              for (const r of [0, 0.25, 0.5, 0.999_999]) {
                const p = compileRetryPolicy({ initialDelayMs, maxDelayMs, multiplier, jitter });
                const growth = initialDelayMs === 0 ? 0 : initialDelayMs * multiplier ** (attempt - 1);
                const ceiling = Math.min(maxDelayMs, growth);
                const d = nextDelay(p, attempt, () => r);
                const low =
                  jitter === 'full' ? 0 : jitter === 'equal' ? Math.floor(ceiling / 2) : Math.floor(ceiling);
                assert.ok(
                  Number.isInteger(d) && d >= low && d <= ceiling,
                  `${d} outside [${low}, ${ceiling}]`,
                );
              }
  });

  it('rejects attempt numbers below 1', () => {
    assert.throws(() => nextDelay(DEFAULT_RETRY_POLICY, 0), RangeError);
  });
});
