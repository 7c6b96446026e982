import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StreamedTransactions } from './streamed-transactions';

describe('StreamedTransactions', () => {
  it('answers a delivered transaction a snapshot lists in progress', () => {
    const streamed = new StreamedTransactions();
    streamed.note(700);
    streamed.note(702);
    assert.equal(streamed.firstInProgress({ listed: [699, 701], xmax: 710 }), undefined);
    assert.equal(streamed.firstInProgress({ listed: [699, 702, 700], xmax: 710 }), 702);
  });

  it('answers a delivered transaction at or past the snapshot’s xmax, which the list leaves out', () => {
    // A commit held for a synchronous standby is often the newest: no later one completed, so
    // xmax is its own id and the snapshot lists nothing.
    const streamed = new StreamedTransactions();
    streamed.note(700);
    assert.equal(streamed.firstInProgress({ listed: [], xmax: 700 }), 700);
    assert.equal(streamed.firstInProgress({ listed: [], xmax: 701 }), undefined);
    // Across the 32-bit wrap: 3 comes after 4294967290.
    const wrapped = new StreamedTransactions();
    wrapped.note(4_294_967_290);
    wrapped.note(3);
    assert.equal(wrapped.firstInProgress({ listed: [], xmax: 4_294_967_295 }), 3);
    assert.equal(wrapped.firstInProgress({ listed: [], xmax: 4 }), undefined);
  });

  it('forgets the oldest ids past its capacity, and a repeated id takes no second place', () => {
    const streamed = new StreamedTransactions(3);
    for (const xid of [1, 2, 2, 3]) streamed.note(xid);
    const listed = (xid: number) => streamed.firstInProgress({ listed: [xid], xmax: 100 });
    assert.equal(listed(1), 1, 'the repeat did not push 1 out');
    streamed.note(4);
    assert.equal(listed(1), undefined);
    assert.deepEqual([2, 3, 4].map(listed), [2, 3, 4]);
  });
});
