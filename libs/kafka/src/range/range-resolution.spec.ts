import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planRange } from './range-resolution';
import { InvalidRangeError, type RangeSpec } from './topic-range';

const OFFSETS = [
  { partition: 0, low: 0n, high: 100n },
  { partition: 1, low: 10n, high: 50n },
  { partition: 2, low: 0n, high: 0n },
];

const plan = (spec: RangeSpec, fromTs?: Map<number, bigint>, toTs?: Map<number, bigint>) =>
  planRange('orders', spec, OFFSETS, fromTs, toTs);

function rejects(spec: RangeSpec, field: string, message: RegExp): void {
  assert.throws(
    () => plan(spec),
    (error: unknown) =>
      error instanceof InvalidRangeError && error.field === field && message.test(error.message),
  );
}

describe('planRange', () => {
  it('defaults to every partition from its earliest kept offset to its end', () => {
    assert.deepEqual(plan({}), [
      { partition: 0, from: 0n, to: 100n },
      { partition: 1, from: 10n, to: 50n },
      { partition: 2, from: 0n, to: 0n },
    ]);
  });

  it('applies one offset to all partitions, clamped to what each log holds', () => {
    assert.deepEqual(plan({ from: { offset: 20n }, to: { offset: 60n } }), [
      { partition: 0, from: 20n, to: 60n },
      { partition: 1, from: 20n, to: 50n },
      { partition: 2, from: 0n, to: 0n },
    ]);
    // Below the earliest kept offset: retention removed those records, the range starts at low.
    assert.deepEqual(plan({ partitions: [1], from: { offset: 0n } }), [{ partition: 1, from: 10n, to: 50n }]);
  });

  it('selects the partitions named by per-partition offsets', () => {
    const spec: RangeSpec = { from: { offsets: new Map([[1, 30n]]) }, to: { offsets: new Map([[0, 5n]]) } };
    assert.deepEqual(plan(spec), [
      { partition: 0, from: 0n, to: 5n },
      { partition: 1, from: 30n, to: 50n },
    ]);
  });

  it('restricts to --partition, in partition order, without repeats', () => {
    assert.deepEqual(plan({ partitions: [1, 0, 1] }), [
      { partition: 0, from: 0n, to: 100n },
      { partition: 1, from: 10n, to: 50n },
    ]);
  });

  it('takes timestamp bounds from the offsets the broker found for them', () => {
    const fromTs = new Map([
      [0, 40n],
      [1, 50n],
      [2, 0n],
    ]);
    const toTs = new Map([
      [0, 70n],
      [1, 50n],
      [2, 0n],
    ]);
    assert.deepEqual(plan({ from: { timestamp: 1_000 }, to: { timestamp: 2_000 } }, fromTs, toTs), [
      { partition: 0, from: 40n, to: 70n },
      { partition: 1, from: 50n, to: 50n },
      { partition: 2, from: 0n, to: 0n },
    ]);
  });

  it('refuses from after to', () => {
    rejects({ from: { offset: 9n }, to: { offset: 3n } }, 'from', /from offset 9 is after to offset 3/);
    rejects(
      { from: { offsets: new Map([[0, 80n]]) }, to: { offsets: new Map([[0, 20n]]) } },
      'from',
      /partition 0 of orders: from offset 80 is after to offset 20/,
    );
    rejects(
      { from: { timestamp: 2_000 }, to: { timestamp: 1_000 } },
      'from',
      /from 1970-01-01T00:00:02.000Z is after to/,
    );
  });

  it('refuses an unknown partition, naming the flag that named it', () => {
    rejects({ partitions: [0, 7] }, 'partitions', /topic orders has no partition 7 \(it has 3: 0\.\.2\)/);
    rejects({ from: { offsets: new Map([[3, 0n]]) } }, 'from', /has no partition 3/);
    rejects({ to: { offsets: new Map([[4, 0n]]) } }, 'to', /has no partition 4/);
    rejects({ partitions: [-1] }, 'partitions', /partition -1 is not a partition number/);
  });

  it('refuses negative offsets', () => {
    rejects({ from: { offset: -1n } }, 'from', /from offset -1 is negative/);
    rejects({ to: { offsets: new Map([[0, -5n]]) } }, 'to', /to offset -5 of partition 0 is negative/);
  });

  it('refuses malformed timestamps', () => {
    rejects({ from: { timestamp: Number.NaN } }, 'from', /from timestamp NaN is not a time/);
    rejects({ to: { timestamp: -3 } }, 'to', /to timestamp -3 is not a time/);
    rejects({ to: { timestamp: 1.5 } }, 'to', /to timestamp 1.5 is not a time/);
  });
});
