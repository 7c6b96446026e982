import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('lets a burst through, then paces at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(100, undefined, () => now);
    assert.equal(bucket.burst, 100);
    assert.equal(bucket.reserve(100), 0);
    // Empty: 50 tokens take half a second at 100/s.
    assert.equal(bucket.reserve(50), 500);
    now = 500;
    assert.equal(bucket.reserve(50), 0);
    // Refills never exceed the burst.
    now = 60_000;
    assert.equal(bucket.reserve(100), 0);
    assert.ok(bucket.reserve(1) > 0);
  });

  it('ends a wait early when its signal fires', async () => {
    const bucket = new TokenBucket(1);
    assert.equal(await bucket.take(1), true);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    assert.equal(await bucket.take(1, controller.signal), false);
    assert.ok(Date.now() - started < 900);
  });

  it('refuses a rate that is not positive', () => {
    assert.throws(() => new TokenBucket(0), RangeError);
  });
});
