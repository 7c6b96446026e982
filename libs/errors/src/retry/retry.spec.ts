import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FatalRecordError, RetriableError } from '../sluice-error';
import { compileRetryPolicy } from './retry-policy';
import { retry, retryOrThrow } from './retry';

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

const policy = (over: object = {}) => compileRetryPolicy({ jitter: 'none', initialDelayMs: 100, ...over });

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

describe('retryOrThrow', () => {
  it('answers the value once an attempt succeeds', async () => {
    const value = await retryOrThrow(
      async (attempt) => {
        if (attempt < 2) throw new RetriableError('busy');
        return attempt;
      },
      policy(),
      fakeTime(),
    );
    assert.equal(value, 2);
  });

  it('throws the last error as it was: after the attempts, or at once when not retriable', async () => {
    const last = new RetriableError('still down');
    await assert.rejects(
      retryOrThrow(
        async () => {
          throw last;
        },
        policy({ maxAttempts: 3 }),
        fakeTime(),
      ),
      (e: unknown) => e === last,
    );
    const bug = new TypeError('bug');
    let calls = 0;
    await assert.rejects(
      retryOrThrow(
        async () => {
          calls++;
          throw bug;
        },
        policy(),
        fakeTime(),
      ),
      (e: unknown) => e === bug,
    );
    assert.equal(calls, 1);
  });
});
