import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lsn } from '../lsn/lsn';
import { AcknowledgementWindow } from './acknowledgement-window';

const lsn = (n: number) => Lsn.fromBigInt(BigInt(n));

describe('AcknowledgementWindow', () => {
  it('confirms a transaction only after its commit was read and every event acknowledged', () => {
    const window = new AcknowledgementWindow();
    const tx = window.open();
    window.add(tx, 2);
    assert.equal(window.acknowledge(tx), undefined);
    assert.equal(window.close(tx, lsn(100)), undefined, 'one event still outstanding');
    assert.equal(window.acknowledge(tx)?.toBigInt(), 100n);
    assert.equal(window.confirmable?.toBigInt(), 100n);
    assert.equal(window.pending, 0);
  });

  it('never confirms past an earlier transaction that is still outstanding', () => {
    const window = new AcknowledgementWindow();
    const first = window.open();
    window.add(first);
    window.close(first, lsn(100));
    const second = window.open();
    window.add(second);
    window.close(second, lsn(200));
    assert.equal(window.acknowledge(second), undefined, 'the later one is done, the earlier is not');
    assert.equal(window.confirmable, undefined);
    assert.equal(window.acknowledge(first)?.toBigInt(), 200n, 'both confirmable at once');
  });

  it('lets positions without events (heartbeats, uncaptured transactions) through in order', () => {
    const window = new AcknowledgementWindow();
    assert.equal(window.mark(lsn(50))?.toBigInt(), 50n);
    const tx = window.open();
    window.add(tx);
    window.close(tx, lsn(60));
    assert.equal(window.mark(lsn(70)), undefined, 'held behind the open transaction');
    assert.equal(window.acknowledge(tx)?.toBigInt(), 70n);
  });

  it('never moves the confirmed position backwards', () => {
    const window = new AcknowledgementWindow();
    window.mark(lsn(500));
    assert.equal(window.mark(lsn(400)), undefined);
    assert.equal(window.confirmable?.toBigInt(), 500n);
  });

  it('refuses more acknowledgements than events handed over (a bookkeeping bug, not data)', () => {
    const window = new AcknowledgementWindow();
    const tx = window.open();
    assert.throws(() => window.acknowledge(tx), /0 outstanding/);
  });

  it('stays correct over many transactions acknowledged in random order', () => {
    const window = new AcknowledgementWindow();
    const txs = Array.from({ length: 5000 }, (_, i) => {
      const tx = window.open();
      window.add(tx, 1 + (i % 3));
      window.close(tx, lsn((i + 1) * 10));
      return { tx, count: 1 + (i % 3), end: (i + 1) * 10 };
    });
    const order = txs.map((_, i) => i).sort((a, b) => ((a * 7919) % 5003) - ((b * 7919) % 5003));
    const done = new Set<number>();
    for (const i of order) {
      for (let k = 0; k < txs[i]!.count; k++) window.acknowledge(txs[i]!.tx);
      done.add(i);
      let prefix = 0;
      while (done.has(prefix)) prefix++;
      const expected = prefix === 0 ? undefined : txs[prefix - 1]!.end;
      assert.equal(window.confirmable?.toBigInt(), expected === undefined ? undefined : BigInt(expected));
    }
    assert.equal(window.pending, 0);
  });

  it('tells the position a batch’s acknowledgements would make confirmable, changing nothing', () => {
    const window = new AcknowledgementWindow();
    const a = window.open();
    window.add(a, 2);
    window.close(a, lsn(100));
    window.mark(lsn(150));
    const b = window.open();
    window.add(b, 1);
    window.close(b, lsn(200));
    const c = window.open();
    window.add(c, 1); // still being read: no commit yet
    assert.equal(window.confirmableAfter(new Map([[a, 1]])), undefined, 'one of a still outstanding');
    assert.equal(window.confirmableAfter(new Map([[a, 2]]))?.toBigInt(), 150n, 'a, then the mark; b waits');
    assert.equal(
      window
        .confirmableAfter(
          new Map([
            [a, 2],
            [b, 1],
            [c, 1],
          ]),
        )
        ?.toBigInt(),
      200n,
      'c has no commit: never past it',
    );
    assert.equal(window.confirmable, undefined, 'nothing confirmed by asking');
    assert.equal(window.acknowledge(a, 2)?.toBigInt(), 150n);
    assert.equal(window.confirmableAfter(new Map()), undefined, 'nothing beyond what is confirmable now');
    assert.equal(window.confirmableAfter(new Map([[b, 1]]))?.toBigInt(), 200n);
  });
});
