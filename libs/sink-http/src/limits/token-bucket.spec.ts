import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../testing/fake-clock';
import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('lets a burst through at once, then paces at the rate', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(10, 3, clock);
    assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 0]);
    // Empty: the next callers wait 100 ms apart (10/s), in arrival order.
    assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [100, 200, 300]);
  });

  it('refills with time, never beyond the burst', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(10, 2, clock);
    bucket.reserve();
    bucket.reserve();
    clock.advance(150); // 1.5 tokens back
    assert.equal(bucket.reserve(), 0);
    assert.equal(bucket.reserve(), 50);
    clock.advance(60_000);
    assert.equal(bucket.available(), 2);
  });

  it('the long-run rate stays at ratePerSecond', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(50, 5, clock);
    const start = clock.now();
    for (let i = 0; i < 505; i++) await bucket.take();
    // 5 from the burst, then 500 at 50/s = 10 s.
    assert.equal(clock.now() - start, 10_000);
  });

  it('refuses a rate or burst that cannot work', () => {
    assert.throws(() => new TokenBucket(0, 1), RangeError);
    assert.throws(() => new TokenBucket(1, 0), RangeError);
  });
});
