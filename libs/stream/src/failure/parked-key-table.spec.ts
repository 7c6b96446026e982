import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ParkedKeyTable } from './parked-key-table';

const a = { topic: 'a', partition: 0 };
const b = { topic: 'b', partition: 0 };
const k = (text: string) => Buffer.from(text);

describe('ParkedKeyTable', () => {
  it('keeps the latest marker per source key; a release forgets the key', () => {
    const t = new ParkedKeyTable();
    t.apply({ tp: a, key: k('x'), failedOffset: 3n });
    t.apply({ tp: a, key: k('y'), failedOffset: 4n });
    t.apply({ tp: a, key: k('x'), failedOffset: null });
    t.apply({ tp: a, key: k('x'), failedOffset: 9n });
    t.apply({ tp: a, key: k('y'), failedOffset: null });
    assert.deepEqual(t.parkedIn(a), [{ key: k('x'), failedOffset: 9n }]);
  });

  it('answers per source topic and partition', () => {
    const t = new ParkedKeyTable();
    t.apply({ tp: a, key: k('x'), failedOffset: 1n });
    t.apply({ tp: b, key: k('x'), failedOffset: 2n });
    t.apply({ tp: { topic: 'a', partition: 1 }, key: k('z'), failedOffset: 5n });
    assert.deepEqual(t.parkedIn(a), [{ key: k('x'), failedOffset: 1n }]);
    assert.deepEqual(t.parkedIn(b), [{ key: k('x'), failedOffset: 2n }]);
    assert.deepEqual(t.parkedIn({ topic: 'b', partition: 1 }), []);
  });

  it('caughtUp waits until the partition was read up to the end offset', async () => {
    const t = new ParkedKeyTable();
    const signal = new AbortController().signal;
    await t.caughtUp(0, 0n, signal);
    let done = false;
    const waiting = t.caughtUp(0, 5n, signal).then(() => (done = true));
    t.readTo(1, 10n);
    t.readTo(0, 4n);
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false, 'other partitions and earlier offsets do not count');
    t.readTo(0, 5n);
    await waiting;
    assert.equal(done, true);
    await t.caughtUp(0, 3n, signal);
  });

  it('caughtUp rejects when the partition is given up, or the log broke', async () => {
    const t = new ParkedKeyTable();
    const controller = new AbortController();
    const waiting = t.caughtUp(0, 5n, controller.signal);
    controller.abort(new Error('revoked'));
    await assert.rejects(waiting, /revoked/);
    const broken = t.caughtUp(0, 5n, new AbortController().signal);
    t.fail(new Error('log unreadable'));
    await assert.rejects(broken, /log unreadable/);
    await assert.rejects(t.caughtUp(1, 1n, new AbortController().signal), /log unreadable/);
  });
});
