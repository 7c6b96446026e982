import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StreamedTransactions } from './streamed-transactions';

describe('StreamedTransactions', () => {
  it('answers the first of a snapshot’s in-progress xids the stream delivered', () => {
    const streamed = new StreamedTransactions();
    streamed.note(700);
    streamed.note(702);
    assert.equal(streamed.firstOf([699, 701]), undefined);
    assert.equal(streamed.firstOf([699, 702, 700]), 702);
  });

  it('forgets the oldest ids past its capacity, and a repeated id takes no second place', () => {
    const streamed = new StreamedTransactions(3);
    for (const xid of [1, 2, 2, 3]) streamed.note(xid);
    assert.equal(streamed.firstOf([1]), 1, 'the repeat did not push 1 out');
    streamed.note(4);
    assert.equal(streamed.firstOf([1]), undefined);
    assert.deepEqual(
      [2, 3, 4].map((xid) => streamed.firstOf([xid])),
      [2, 3, 4],
    );
  });
});
