import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom as rng } from '../testing/seeded-random';
import { OffsetTracker } from './offset-tracker';

describe('OffsetTracker', () => {
  it('knows nothing before the first start unless given the committed position', () => {
    assert.equal(new OffsetTracker().committable(), undefined);
    assert.equal(new OffsetTracker(42n).committable(), 42n);
  });

  it('commits the lowest unfinished offset, then one past the last finished', () => {
    const t = new OffsetTracker();
    for (const o of [10n, 11n, 12n]) t.start(o);
    assert.equal(t.committable(), 10n);
    t.finish(11n);
    assert.equal(t.committable(), 10n, 'a finished offset above an unfinished one is not committable');
    t.finish(10n);
    assert.equal(t.committable(), 12n);
    t.finish(12n);
    assert.equal(t.committable(), 13n);
    assert.equal(t.inFlight, 0);
  });

  it('handles gaps in offsets (compaction, transaction markers)', () => {
    const t = new OffsetTracker(100n);
    for (const o of [100n, 105n, 109n]) t.start(o);
    t.finish(100n);
    assert.equal(t.committable(), 105n);
    t.finish(109n);
    assert.equal(t.committable(), 105n);
    t.finish(105n);
    assert.equal(t.committable(), 110n);
  });

  it('skipTo moves past trailing control records only when nothing is in flight below', () => {
    const t = new OffsetTracker();
    t.start(5n);
    t.skipTo(8n);
    assert.equal(t.committable(), 5n);
    t.finish(5n);
    assert.equal(t.committable(), 8n);
    assert.throws(() => t.start(7n), RangeError);
    t.skipTo(3n);
    assert.equal(t.committable(), 8n, 'never backwards');
    t.start(8n);
    t.finish(8n);
    assert.equal(t.committable(), 9n);
  });

  it('rejects out-of-order starts, unknown and double finishes', () => {
    const t = new OffsetTracker(10n);
    assert.throws(() => t.start(9n), RangeError);
    t.start(10n);
    assert.throws(() => t.start(10n), RangeError);
    assert.throws(() => t.finish(11n), RangeError);
    t.finish(10n);
    assert.throws(() => t.finish(10n), RangeError);
  });

  it('property: random completion orders never pass an unfinished offset and never go backwards', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const random = rng(seed);
      const t = new OffsetTracker();
      const unfinished = new Set<bigint>();
      let next = 0n;
      let last: bigint | undefined;
      for (let step = 0; step < 2000; step++) {
        if (random() < 0.55 || unfinished.size === 0) {
          next += BigInt(1 + Math.floor(random() * 3)); // gaps
          t.start(next);
          unfinished.add(next);
        } else {
          const all = [...unfinished];
          const pick = all[Math.floor(random() * all.length)];
          unfinished.delete(pick);
          t.finish(pick);
        }
        const c = t.committable()!;
        for (const u of unfinished)
          assert.ok(c <= u, `seed ${seed}: committable ${c} passes unfinished ${u}`);
        if (last !== undefined) assert.ok(c >= last, `seed ${seed}: went backwards ${last} -> ${c}`);
        if (unfinished.size === 0) assert.equal(c, next + 1n);
        last = c;
      }
    }
  });
});
