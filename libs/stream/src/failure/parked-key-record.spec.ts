import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeParkedMarker,
  encodeParkedKey,
  MalformedParkedMarkerError,
  parkedMarker,
  parkedTopicFor,
  releaseMarker,
} from './parked-key-record';

const tp = { topic: 'shop.orders', partition: 7 };

describe('parked-key markers', () => {
  it('names the compacted topic after the group', () => {
    assert.equal(parkedTopicFor('billing'), 'billing.dlq.parked');
  });

  it('round-trips a park marker, with key bytes containing NUL', () => {
    const key = Buffer.from([0, 1, 0, 255]);
    const marker = parkedMarker('g', tp, key, 42n);
    assert.equal(marker.topic, 'g.dlq.parked');
    assert.deepEqual(decodeParkedMarker(marker.key, marker.value, 'here'), { tp, key, failedOffset: 42n });
  });

  it('a release is a tombstone of the same key', () => {
    const key = Buffer.from('k1');
    const release = releaseMarker('g', tp, key);
    assert.equal(release.value, null);
    assert.deepEqual(release.key, parkedMarker('g', tp, key, 1n).key);
    assert.deepEqual(decodeParkedMarker(release.key, null, 'here'), { tp, key, failedOffset: null });
  });

  it('keeps keys of different topics and partitions apart', () => {
    const key = Buffer.from('k');
    const keys = new Set(
      [tp, { topic: 'shop.orders', partition: 70 }, { topic: 'shop.orders7', partition: 7 }].map((t) =>
        encodeParkedKey(t, key).toString('latin1'),
      ),
    );
    assert.equal(keys.size, 3);
  });

  it('refuses records it did not write, naming where and what', () => {
    const cases: Array<[Buffer | null, Buffer | null, RegExp]> = [
      [null, Buffer.from('1'), /g\.dlq\.parked\[0\]@5: no key/],
      [Buffer.from('no-separators'), Buffer.from('1'), /not <topic> NUL <partition> NUL <record key>/],
      [Buffer.from('t\u0000x\u0000k'), Buffer.from('1'), /partition "x" is not a number/],
      [encodeParkedKey(tp, Buffer.from('k')), Buffer.from('-3'), /value "-3" is not an offset/],
    ];
    for (const [key, value, message] of cases) {
      assert.throws(
        () => decodeParkedMarker(key, value, 'g.dlq.parked[0]@5'),
        (e: unknown) => e instanceof MalformedParkedMarkerError && message.test(e.message) && !e.retriable,
      );
    }
  });
});
