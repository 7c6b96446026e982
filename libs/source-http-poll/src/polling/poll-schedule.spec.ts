import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pollDelayMs } from './poll-schedule';

describe('pollDelayMs', () => {
  it('without jitter: the interval, whatever the draw', () => {
    for (const draw of [0, 0.5, 0.999_999])
      assert.equal(
        pollDelayMs({ intervalMs: 60_000, jitterMs: 0 }, () => draw),
        60_000,
      );
  });

  it('with jitter: from the interval to the interval plus the jitter, both ends reachable', () => {
    const schedule = { intervalMs: 1_000, jitterMs: 250 };
    assert.equal(
      pollDelayMs(schedule, () => 0),
      1_000,
    );
    assert.equal(
      pollDelayMs(schedule, () => 0.999_999),
      1_250,
    );
    assert.equal(
      pollDelayMs(schedule, () => 0.5),
      1_125,
    );
  });

  it('spreads the waits of streams started together over the whole jitter', () => {
    const waits = Array.from({ length: 2_000 }, () => pollDelayMs({ intervalMs: 100, jitterMs: 9 }));
    assert.ok(waits.every((w) => Number.isInteger(w) && w >= 100 && w <= 109));
    // Each of the 10 possible waits drawn (chance of missing one in 2,000 draws: ~10 x 0.9^2000).
    assert.equal(new Set(waits).size, 10);
  });
});
