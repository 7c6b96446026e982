import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../testing/seeded-random';
import { ParkedKeys } from './key-parking';

describe('ParkedKeys', () => {
  it('parks a key behind its failed record and routes its later records to the DLQ', () => {
    const p = new ParkedKeys();
    assert.equal(p.admit('a', 1n), undefined);
    assert.equal(p.park('a', 2n), true);
    assert.equal(p.park(Buffer.from('a'), 9n), false, 'already parked (bytes and text of one key)');
    assert.equal(p.admit(Buffer.from('a'), 3n), 2n);
    assert.equal(p.admit('b', 4n), undefined, 'other keys are not affected');
    assert.equal(p.admit('a', 7n), 2n);
    assert.ok(p.isParked('a'));
    assert.equal(p.size, 1);
    assert.deepEqual(p.release('a'), [2n, 3n, 7n]);
    assert.equal(p.admit('a', 8n), undefined, 'released: processed again');
    assert.deepEqual(p.release('a'), []);
  });

  it('never parks null keys', () => {
    const p = new ParkedKeys();
    assert.equal(p.park(null, 1n), false);
    assert.equal(p.admit(null, 2n), undefined);
    assert.equal(p.isParked(null), false);
  });

  it('rejects offsets going backwards for a parked key', () => {
    const p = new ParkedKeys();
    p.park('a', 5n);
    assert.throws(() => p.admit('a', 5n), RangeError);
  });

  it('property: once a key failed, none of its later records is processed before release', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const random = seededRandom(seed);
      const p = new ParkedKeys();
      const processed = new Map<string, bigint[]>();
      const firstFailure = new Map<string, bigint>();
      const dlq = new Map<string, bigint[]>();
      for (let offset = 0n; offset < 1_000n; offset++) {
        const key = `k${Math.floor(random() * 20)}`;
        const behind = p.admit(key, offset);
        if (behind !== undefined) {
          assert.equal(behind, firstFailure.get(key));
          dlq.get(key)!.push(offset);
        } else if (random() < 0.03) {
          assert.equal(p.park(key, offset), true);
          firstFailure.set(key, offset);
          dlq.set(key, [offset]);
        } else {
          processed.set(key, [...(processed.get(key) ?? []), offset]);
        }
      }
      for (const [key, failed] of firstFailure) {
        for (const o of processed.get(key) ?? []) assert.ok(o < failed, `seed ${seed}: ${key}@${o} overtook`);
        assert.deepEqual(p.release(key), dlq.get(key));
      }
      assert.equal(p.size, 0);
    }
  });
});

describe('ParkedKeys and redrives', () => {
  it('replays only copies of the park the key is behind, until a copy of that redrive failed', () => {
    const p = new ParkedKeys();
    p.park('k', 5n);
    assert.equal(p.replays('k', 'r1', 5n), true);
    assert.equal(p.replays('k', 'r1', 4n), false, 'another (older) park');
    assert.equal(p.replays('other', 'r1', 5n), false, 'a key not parked');
    p.breakRedrive('k', 'r1');
    assert.equal(p.replays('k', 'r1', 5n), false);
    assert.equal(p.replays('k', 'r2', 5n), true, 'a later redrive replays again');
    p.mendRedrive('k', 'r1');
    assert.equal(p.replays('k', 'r1', 5n), true, 'undone with its batch');
  });

  it('knows the offsets parked after a redrive selection; noting them again is harmless', () => {
    const p = new ParkedKeys();
    p.park('k', 5n);
    p.noteParked('k', 7n);
    p.noteParked('k', 9n);
    p.noteParked('k', 9n); // a redone batch
    p.noteParked('k', 6n);
    assert.deepEqual(p.parkedAfter('k', 7n), [9n]);
    assert.deepEqual(p.parkedAfter('k', 9n), []);
    assert.deepEqual(p.release('k'), [5n, 7n, 9n]);
    assert.deepEqual(p.parkedAfter('k', 0n), [], 'released');
  });
});
