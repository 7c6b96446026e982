import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { OffsetTracker } from '../offsets/offset-tracker';
import { seededRandom } from '../testing/seeded-random';
import { KeyScheduler } from './key-scheduler';

interface Rec {
  offset: bigint;
  key: string | null;
}

/** A handler whose calls wait until the test completes them. */
function controlled() {
  const pending = new Map<bigint, { record: Rec; resolve: () => void; reject: (e: unknown) => void }>();
  const started: Rec[] = [];
  const signals: AbortSignal[] = [];
  const handler = (record: Rec, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      started.push(record);
      signals.push(signal);
      pending.set(record.offset, { record, resolve, reject });
    });
  const complete = (offset: bigint): void => {
    pending.get(offset)!.resolve();
    pending.delete(offset);
  };
  const fail = (offset: bigint, error: unknown): void => {
    pending.get(offset)!.reject(error);
    pending.delete(offset);
  };
  return { pending, started, signals, handler, complete, fail };
}

const rec = (offset: number, key: string | null): Rec => ({ offset: BigInt(offset), key });

describe('KeyScheduler', () => {
  it('runs one key strictly in order and different keys concurrently up to maxInFlight', async () => {
    const h = controlled();
    const s = new KeyScheduler<Rec>({ handler: h.handler, maxInFlight: 2 });
    for (const [o, k] of [
      [0, 'a'],
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ] as const)
      assert.equal(await s.push(rec(o, k)), true);
    assert.deepEqual(
      h.started.map((r) => r.offset),
      [0n, 2n],
      'a@1 waits behind a@0, c waits for a slot',
    );
    h.complete(0n);
    await tick();
    assert.deepEqual(
      h.started.map((r) => r.offset),
      [0n, 2n, 3n],
      'FIFO: c became ready before a@1',
    );
    h.complete(2n);
    await tick();
    assert.deepEqual(
      h.started.map((r) => r.offset),
      [0n, 2n, 3n, 1n],
    );
  });

  it('treats null keys as independent records', async () => {
    const h = controlled();
    const s = new KeyScheduler<Rec>({ handler: h.handler, maxInFlight: 3 });
    for (let o = 0; o < 3; o++) await s.push(rec(o, null));
    assert.equal(s.inFlight, 3);
  });

  it('tells equal bytes apart from other keys (Buffer and string keys)', async () => {
    const h = controlled();
    const s = new KeyScheduler<{ offset: bigint; key: Buffer | string }>({
      handler: h.handler as never,
      maxInFlight: 4,
    });
    await s.push({ offset: 0n, key: Buffer.from('k') });
    await s.push({ offset: 1n, key: 'k' });
    await s.push({ offset: 2n, key: Buffer.from([0xff]) });
    assert.equal(s.inFlight, 2, 'Buffer "k" and string "k" are the same key');
  });

  it('applies backpressure: push waits while maxBuffered records are held', async () => {
    const h = controlled();
    const s = new KeyScheduler<Rec>({ handler: h.handler, maxInFlight: 1, maxBuffered: 3 });
    for (let o = 0; o < 3; o++) await s.push(rec(o, 'hot'));
    let accepted = false;
    const pushed = s.push(rec(3, 'hot')).then((ok) => (accepted = ok));
    await tick();
    assert.equal(accepted, false);
    assert.equal(s.buffered, 3);
    h.complete(0n);
    await pushed;
    assert.equal(accepted, true);
    assert.equal(s.buffered, 3);
  });

  it('rejects offsets out of order and overlapping pushes', async () => {
    const h = controlled();
    const s = new KeyScheduler<Rec>({ handler: h.handler, maxInFlight: 1, maxBuffered: 1 });
    await s.push(rec(5, 'a'));
    await assert.rejects(s.push(rec(5, 'b')), RangeError);
    const waiting = s.push(rec(6, 'b'));
    await assert.rejects(s.push(rec(7, 'c')), /before the previous push resolved/);
    h.complete(5n);
    assert.equal(await waiting, true);
  });

  it('validates its options', () => {
    const handler = async () => {};
    assert.throws(() => new KeyScheduler<Rec>({ handler, maxInFlight: 0 }), RangeError);
    assert.throws(() => new KeyScheduler<Rec>({ handler, maxInFlight: 4, maxBuffered: 2 }), RangeError);
  });

  it('drain lets accepted work finish and refuses new records', async () => {
    const h = controlled();
    const finished: bigint[] = [];
    const s = new KeyScheduler<Rec>({
      handler: h.handler,
      maxInFlight: 2,
      onFinished: (r) => finished.push(r.offset),
    });
    await s.push(rec(0, 'a'));
    await s.push(rec(1, 'a'));
    const report = s.drain(Date.now() + 5_000);
    assert.equal(await s.push(rec(2, 'b')), false);
    h.complete(0n);
    await tick();
    h.complete(1n);
    const r = await report;
    assert.equal(r.complete, true);
    assert.equal(r.finished, 2);
    assert.deepEqual(finished, [0n, 1n]);
    assert.equal(h.signals[0].aborted, false);
  });

  it('drain stops at its deadline, aborts the handlers and lists what is left', async () => {
    const h = controlled();
    const s = new KeyScheduler<Rec>({ handler: h.handler, maxInFlight: 1 });
    await s.push(rec(0, 'a'));
    await s.push(rec(1, 'b'));
    const r = await s.drain(Date.now() + 20);
    assert.equal(r.complete, false);
    assert.deepEqual(
      r.running.map((x) => x.offset),
      [0n],
    );
    assert.deepEqual(
      r.notStarted.map((x) => x.offset),
      [1n],
    );
    assert.equal(h.signals[0].aborted, true);
  });

  it('abandon (revoke) starts nothing new, aborts at once and reports what finished', async () => {
    const h = controlled();
    const tracker = new OffsetTracker(0n);
    const s = new KeyScheduler<Rec>({
      handler: h.handler,
      maxInFlight: 2,
      onAccepted: (r) => tracker.start(r.offset),
      onFinished: (r) => tracker.finish(r.offset),
    });
    for (const [o, k] of [
      [0, 'a'],
      [1, 'b'],
      [2, 'a'],
      [3, 'c'],
    ] as const)
      await s.push(rec(o, k));
    const report = s.abandon(Date.now() + 5_000);
    assert.equal(h.signals[0].aborted, true);
    h.complete(0n); // finished in time: committable before the partition goes
    h.fail(1n, new Error('aborted'));
    const r = await report;
    assert.equal(h.started.length, 2, 'a@2 and c@3 never started');
    assert.equal(r.finished, 1);
    assert.deepEqual(
      r.failed.map((x) => x.offset),
      [1n],
    );
    assert.deepEqual(
      r.notStarted.map((x) => x.offset),
      [2n, 3n],
    );
    assert.equal(r.error, undefined);
    assert.equal(tracker.committable(), 1n);
  });

  it('a handler rejection stops the scheduler and leaves the offset unfinished', async () => {
    const h = controlled();
    const finished: bigint[] = [];
    const s = new KeyScheduler<Rec>({
      handler: h.handler,
      maxInFlight: 2,
      maxBuffered: 2,
      onFinished: (r) => finished.push(r.offset),
    });
    await s.push(rec(0, 'a'));
    await s.push(rec(1, 'a'));
    const blocked = s.push(rec(2, 'b'));
    const boom = new Error('dead-letter publish failed');
    h.fail(0n, boom);
    assert.equal(await blocked, false);
    assert.equal(await s.push(rec(3, 'c')), false);
    const r = await s.drain(Date.now() + 1_000);
    assert.equal(r.error, boom);
    assert.deepEqual(
      r.failed.map((x) => x.offset),
      [0n],
    );
    assert.deepEqual(
      r.notStarted.map((x) => x.offset),
      [1n],
    );
    assert.deepEqual(finished, []);
  });

  it('property: random completion orders over 50 keys keep per-key order, bounds and commit safety', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seededRandom(seed);
      const h = controlled();
      const tracker = new OffsetTracker();
      const maxInFlight = 1 + Math.floor(random() * 8);
      const maxBuffered = maxInFlight + Math.floor(random() * 16);
      const finishedPerKey = new Map<string, bigint[]>();
      const unfinished = new Set<bigint>();
      let maxSeenInFlight = 0;
      const s = new KeyScheduler<Rec>({
        handler: (r, signal) => {
          maxSeenInFlight = Math.max(maxSeenInFlight, s.inFlight);
          return h.handler(r, signal);
        },
        maxInFlight,
        maxBuffered,
        onAccepted: (r) => {
          tracker.start(r.offset);
          unfinished.add(r.offset);
        },
        onFinished: (r) => {
          tracker.finish(r.offset);
          unfinished.delete(r.offset);
          const list = finishedPerKey.get(r.key ?? `null@${r.offset}`) ?? [];
          list.push(r.offset);
          finishedPerKey.set(r.key ?? `null@${r.offset}`, list);
          const c = tracker.committable()!;
          for (const u of unfinished) assert.ok(c <= u, `seed ${seed}: commit ${c} passes ${u}`);
        },
      });
      const total = 400;
      const expectedPerKey = new Map<string, bigint[]>();
      let offset = 0n;
      let pushing = true;
      const producer = (async () => {
        for (let i = 0; i < total; i++) {
          offset += BigInt(1 + Math.floor(random() * 2));
          const key = random() < 0.05 ? null : `k${Math.floor(random() * 50)}`;
          if (key !== null) expectedPerKey.set(key, [...(expectedPerKey.get(key) ?? []), offset]);
          assert.equal(await s.push({ offset, key }), true);
          assert.ok(s.buffered <= maxBuffered);
        }
        pushing = false;
      })();
      while (pushing || s.buffered > 0) {
        await tick();
        const open = [...h.pending.keys()];
        if (open.length > 0) h.complete(open[Math.floor(random() * open.length)]);
      }
      await producer;
      const report = await s.drain(Date.now() + 1_000);
      assert.equal(report.complete, true);
      assert.equal(report.finished, total);
      assert.ok(maxSeenInFlight <= maxInFlight, `seed ${seed}: ${maxSeenInFlight} > ${maxInFlight}`);
      for (const [key, offsets] of expectedPerKey) {
        assert.deepEqual(finishedPerKey.get(key), offsets, `seed ${seed}: key ${key} out of order`);
      }
      assert.equal(tracker.committable(), offset + 1n);
    }
  });
});
