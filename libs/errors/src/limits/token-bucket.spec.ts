import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Clock } from '../time/clock';
import { TokenBucket } from './token-bucket';

/** A clock whose sleep advances time at once (and refuses to sleep once the signal fired). */
function fakeClock(): Clock & { advance(ms: number): void } {
  let t = 1_700_000_000_000;
  return {
    now: () => t,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      t += Math.max(0, ms);
    },
    advance: (ms) => (t += ms),
  };
}

describe('TokenBucket', () => {
  it('lets a burst through at once, then paces at the rate, waiters in arrival order', () => {
    const bucket = new TokenBucket(10, 3, fakeClock());
    assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 0]);
    // Empty: the next callers wait 100 ms apart (10/s).
    assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [100, 200, 300]);
  });

  it('takes several tokens at once: a caller short of them waits for the difference', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(100, undefined, clock);
    assert.equal(bucket.burst, 100);
    assert.equal(bucket.reserve(100), 0);
    assert.equal(bucket.reserve(50), 500); // 50 tokens take half a second at 100/s
    clock.advance(500);
    assert.equal(bucket.available(), 0);
  });

  it('refills with time, never beyond the burst', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(10, 2, clock);
    bucket.reserve();
    bucket.reserve();
    clock.advance(150); // 1.5 tokens back
    assert.equal(bucket.reserve(), 0);
    assert.equal(bucket.reserve(), 50);
    clock.advance(60_000);
    assert.equal(bucket.available(), 2);
  });

  it('a clock stepping back refills nothing and takes nothing away', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(10, 2, clock);
    bucket.reserve();
    clock.advance(-5_000);
    assert.equal(bucket.available(), 1);
  });

  it('defaults the burst to one second of tokens, at least 1', () => {
    assert.equal(new TokenBucket(250).burst, 250);
    assert.equal(new TokenBucket(7.9).burst, 7);
    assert.equal(new TokenBucket(0.2).burst, 1);
  });

  it('the long-run rate stays at ratePerSecond', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(50, 5, clock);
    const start = clock.now();
    for (let i = 0; i < 505; i++) assert.equal(await bucket.take(), true);
    // 5 from the burst, then 500 at 50/s = 10 s.
    assert.equal(clock.now() - start, 10_000);
  });

  it('ends a wait early when its signal fires, answering false', async () => {
    const bucket = new TokenBucket(1);
    assert.equal(await bucket.take(1), true);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    assert.equal(await bucket.take(1, controller.signal), false);
    assert.ok(Date.now() - started < 900);
    // An aborted signal takes nothing.
    const quiet = new TokenBucket(1, 1, fakeClock());
    assert.equal(await quiet.take(1, AbortSignal.abort()), false);
    assert.equal(quiet.available(), 1);
  });

  it('refuses a rate or burst that cannot work', () => {
    assert.throws(() => new TokenBucket(0), RangeError);
    assert.throws(() => new TokenBucket(1, 0), RangeError);
  });
});
