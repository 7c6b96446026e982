import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, FatalRecordError, RetriableError } from '@sluice/errors';
import { seededRandom } from '../testing/seeded-random';
import { DEFAULT_RETRY_POLICY, nextDelay, parseRetryPolicy, retry, retryPolicySchema } from './retry-policy';

/** A fake clock whose sleep advances time instantly. */
function fakeTime(start = 1_700_000_000_000) {
  let t = start;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      slept.push(ms);
      t += ms;
    },
    advance: (ms: number) => (t += ms),
    slept,
  };
}

const policy = (over: object = {}) => parseRetryPolicy({ jitter: 'none', initialDelayMs: 100, ...over });

// Config-parse tests: every field documented, every bad value named.
describe('RetryPolicy config', () => {
  it('documents and applies defaults', () => {
    assert.deepEqual(DEFAULT_RETRY_POLICY, {
      maxAttempts: 5,
      initialDelayMs: 200,
      maxDelayMs: 30_000,
      multiplier: 2,
      jitter: 'full',
      maxElapsedMs: 300_000,
    });
    assert.ok(Object.isFrozen(DEFAULT_RETRY_POLICY));
    for (const [field, spec] of Object.entries(retryPolicySchema.shape)) {
      assert.match(spec.description ?? '', /Default/, `${field} documents its default`);
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

describe('nextDelay', () => {
  it('grows exponentially and is capped by maxDelayMs', () => {
    const p = policy({ multiplier: 3, maxDelayMs: 2_000 });
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((a) => nextDelay(p, a)),
      [100, 300, 900, 2_000, 2_000],
    );
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

  it('property: every delay stays within its jitter bounds', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 2_000; i++) {
      const p = parseRetryPolicy({
        initialDelayMs: Math.floor(random() * 1_000),
        maxDelayMs: 1_000 + Math.floor(random() * 60_000),
        multiplier: 1 + random() * 4,
        jitter: (['full', 'equal', 'none'] as const)[i % 3],
      });
      const attempt = 1 + Math.floor(random() * 40);
      const ceiling = Math.min(p.maxDelayMs, p.initialDelayMs * p.multiplier ** (attempt - 1));
      const d = nextDelay(p, attempt, random);
      const low =
        p.jitter === 'full' ? 0 : p.jitter === 'equal' ? Math.floor(ceiling / 2) : Math.floor(ceiling);
      assert.ok(Number.isInteger(d) && d >= low && d <= ceiling, `${d} outside [${low}, ${ceiling}]`);
    }
  });

  it('rejects attempt numbers below 1', () => {
    assert.throws(() => nextDelay(DEFAULT_RETRY_POLICY, 0), RangeError);
  });
});

describe('retry', () => {
  it('retries retriable errors and returns the value with the attempt history', async () => {
    const time = fakeTime();
    const retries: number[] = [];
    const outcome = await retry(
      async (attempt) => {
        if (attempt < 3) throw new RetriableError('broker timed out');
        return 'ok';
      },
      policy(),
      { ...time, onRetry: (e) => retries.push(e.delayMs) },
    );
    assert.deepEqual(outcome, {
      ok: true,
      value: 'ok',
      attempts: 3,
      firstAttemptAt: 1_700_000_000_000,
      lastAttemptAt: 1_700_000_000_300,
    });
    assert.deepEqual(retries, [100, 200]);
    assert.deepEqual(time.slept, [100, 200]);
  });

  for (const error of [
    new TypeError('x is undefined'),
    new FatalRecordError('undecodable'),
    new Error('plain'),
  ]) {
    it(`never retries ${error.constructor.name}`, async () => {
      let calls = 0;
      const outcome = await retry(
        async () => {
          calls += 1;
          throw error;
        },
        policy(),
        fakeTime(),
      );
      assert.equal(calls, 1);
      assert.equal(outcome.ok, false);
      assert.equal(!outcome.ok && outcome.reason, 'not-retriable');
      assert.equal(!outcome.ok && outcome.error, error);
    });
  }

  it('stops after maxAttempts with the last error', async () => {
    const time = fakeTime();
    const outcome = await retry(
      async (attempt) => {
        throw new RetriableError(`attempt ${attempt}`);
      },
      policy({ maxAttempts: 4 }),
      time,
    );
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.reason, 'max-attempts');
    assert.equal(outcome.attempts, 4);
    assert.equal((outcome.error as Error).message, 'attempt 4');
    assert.equal(outcome.lastAttemptAt - outcome.firstAttemptAt, 100 + 200 + 400);
  });

  it('stops when the next attempt would start after maxElapsedMs', async () => {
    const time = fakeTime();
    const outcome = await retry(
      async () => {
        time.advance(1_000); // each attempt takes a second
        throw new RetriableError('slow and failing');
      },
      policy({ maxAttempts: 100, maxElapsedMs: 3_500 }),
      time,
    );
    assert.equal(!outcome.ok && outcome.reason, 'max-elapsed');
    assert.equal(outcome.attempts, 3);
    assert.ok(outcome.lastAttemptAt - outcome.firstAttemptAt <= 3_500);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    const outcome = await retry(
      async () => {
        throw new RetriableError('down');
      },
      policy({ initialDelayMs: 60_000, maxDelayMs: 60_000 }),
      { signal: controller.signal },
    );
    assert.equal(!outcome.ok && outcome.reason, 'aborted');
    assert.equal(outcome.attempts, 1);
    assert.ok(Date.now() - started < 5_000);
  });
});
