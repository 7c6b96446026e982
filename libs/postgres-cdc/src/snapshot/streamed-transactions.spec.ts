import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { completedIn, StreamedTransactions } from './streamed-transactions';

/** Transactions delivered whole (Begin … Commit), in order. */
function delivered(...xids: number[]): StreamedTransactions {
  const streamed = new StreamedTransactions();
  for (const xid of xids) {
    streamed.begin(xid);
    streamed.end();
  }
  return streamed;
}

describe('StreamedTransactions', () => {
  it('answers a delivered transaction a snapshot lists in progress', () => {
    const streamed = delivered(700, 702);
    assert.equal(streamed.firstInProgress({ listed: [699, 701], xmax: 710 }), undefined);
    assert.equal(streamed.firstInProgress({ listed: [699, 702, 700], xmax: 710 }), 702);
  });

  it('answers a delivered transaction at or past the snapshot’s xmax, which the list leaves out', () => {
    // A commit held for a synchronous standby is often the newest: no later one completed, so
    // xmax is its own id and the snapshot lists nothing.
    const streamed = delivered(700);
    assert.equal(streamed.firstInProgress({ listed: [], xmax: 700 }), 700);
    assert.equal(streamed.firstInProgress({ listed: [], xmax: 701 }), undefined);
    // Across the 32-bit wrap: 3 comes after 4294967290.
    const wrapped = delivered(4_294_967_290, 3);
    assert.equal(wrapped.firstInProgress({ listed: [], xmax: 4_294_967_295 }), 3);
    assert.equal(wrapped.firstInProgress({ listed: [], xmax: 4 }), undefined);
  });

  it('never answers the transaction the stream is inside (the source acknowledges it only later)', () => {
    // With the source's own slot a synchronous standby, that commit waits for the source: waiting
    // for it in turn would hold both for ever.
    const streamed = delivered(700);
    streamed.begin(701);
    assert.equal(streamed.firstInProgress({ listed: [701], xmax: 701 }), undefined);
    streamed.end();
    assert.equal(streamed.firstInProgress({ listed: [701], xmax: 701 }), 701);
  });

  it('forgets what a read saw completed, and a newest noted long ago', () => {
    const streamed = delivered(700);
    streamed.forgetSeen();
    assert.equal(streamed.firstInProgress({ listed: [700], xmax: 700 }), undefined);
    let now = 0;
    const aging = new StreamedTransactions(16, () => now);
    aging.begin(5);
    aging.end();
    // Nearly 2^32 xids later, 5 looks newer than xmax again (modulo 2^32): noted long ago, it no
    // longer counts.
    const wrappedAround = { listed: [], xmax: 4_294_967_201 };
    now = 60_000;
    assert.equal(aging.firstInProgress(wrappedAround), 5);
    now = 61 * 60_000;
    assert.equal(aging.firstInProgress(wrappedAround), undefined);
  });

  it('forgets the oldest ids past its capacity, and a repeated id takes no second place', () => {
    const streamed = new StreamedTransactions(3);
    for (const xid of [1, 2, 2, 3]) streamed.begin(xid);
    streamed.end();
    const listed = (xid: number) => streamed.firstInProgress({ listed: [xid], xmax: 100 });
    assert.equal(listed(1), 1, 'the repeat did not push 1 out');
    streamed.begin(4);
    streamed.end();
    assert.equal(listed(1), undefined);
    assert.deepEqual([2, 3, 4].map(listed), [2, 3, 4]);
  });

  it('says whether a snapshot saw a transaction completed', () => {
    const snapshot = { listed: [701], xmax: 703 };
    assert.deepEqual(
      [700, 701, 702, 703, 704].map((xid) => completedIn(snapshot, xid)),
      [true, false, true, false, false],
    );
  });
});
