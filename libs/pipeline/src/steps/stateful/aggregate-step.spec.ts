import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { metricsExposition } from '@sluice/observability';
import { PartitionState } from '@sluice/stream';
import { StepFailedError } from '../../pipeline/pipeline-errors';
import type { WorkingRecord } from '../../record/pipeline-record';
import { aggregateStep, LateRecordError, StoredStateError } from './aggregate-step';

const context = {
  label: 'steps[1].aggregate',
  baseDir: '.',
  clock: () => 0,
  lookups: undefined as never,
  index: 1,
};

const rec = (customer: string, at: number, total: number): WorkingRecord => ({
  metadata: { topic: 't', partition: 0, offset: '0', timestamp: 0 },
  key: customer,
  value: { customer, at, total },
  headers: [],
});

function harness(config: unknown) {
  const step = aggregateStep.fromConfig(aggregateStep.configSchema.parse(config), context);
  const state = new PartitionState({ topic: 't', partition: 0 }, 'g', step.stores!);
  const run = (r: WorkingRecord) => {
    const scope = state.beginRecord();
    const out = step.apply(r, scope);
    scope.apply();
    state.commitBatch();
    return ((out ?? []) as WorkingRecord[]).map((o) => o.value as Record<string, unknown>);
  };
  return { step, state, run };
}

/** A changelog record restored into the store (as a restore or a standby copy applies it); null deletes. */
const restored = (state: PartitionState, key: string, value: string | null): void =>
  state.follow(
    'aggregate-1',
    [{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value), offset: '0' }],
    1n,
  );

describe('aggregate step', () => {
  it('tumbling windows, emit final: one result per window and group once stream time passes end + grace', () => {
    const { run } = harness({
      time: 'at',
      window: { size: '1m', grace: '10s' },
      aggregations: {
        n: 'count',
        revenue: { sum: 'total' },
        low: { min: 'total' },
        high: { max: 'total' },
        mean: { avg: 'total' },
        last: { last: 'total' },
      },
    });
    assert.deepEqual(run(rec('a', 1_000, 10)), []);
    assert.deepEqual(run(rec('b', 2_000, 5)), []);
    assert.deepEqual(run(rec('a', 59_000, 30)), []);
    // Window [0, 60s) is still in grace at 65 s: a record of it is still counted.
    assert.deepEqual(run(rec('a', 65_000, 1)), []);
    assert.deepEqual(run(rec('a', 30_000, 20)), []);
    const out = run(rec('b', 70_000, 7));
    assert.deepEqual(out, [
      {
        group: 'a',
        window_start: 0,
        window_end: 60_000,
        final: true,
        n: 3,
        revenue: 60,
        low: 10,
        high: 30,
        mean: 20,
        last: '20',
      },
      {
        group: 'b',
        window_start: 0,
        window_end: 60_000,
        final: true,
        n: 1,
        revenue: 5,
        low: 5,
        high: 5,
        mean: 5,
        last: '5',
      },
    ]);
    // Late beyond grace: the DLQ, with a class of its own.
    assert.throws(() => run(rec('a', 10_000, 1)), LateRecordError);
    assert.deepEqual(
      run(rec('a', 200_000, 1)).map((v) => [v.group, v.window_start, v.n]),
      [
        ['a', 60_000, 1],
        ['b', 60_000, 1],
      ],
    );
  });

  it('hopping windows, emit updates: every window of the record, after every record', () => {
    const { run, step } = harness({
      time: 'at',
      groupBy: 'customer',
      window: { size: '10s', advance: '5s' },
      aggregations: { n: 'count' },
      emit: 'updates',
    });
    assert.deepEqual(
      run(rec('a', 7_000, 1)).map((v) => [v.window_start, v.n, v.final]),
      [
        [0, 1, false],
        [5_000, 1, false],
      ],
    );
    assert.deepEqual(
      run(rec('a', 12_000, 1)).map((v) => [v.window_start, v.n]),
      [
        [5_000, 2],
        [10_000, 1],
      ],
    );
    const schemas = step.deriveSchema({ value: { kind: 'primitive', name: 'null', props: {} } } as never);
    assert.equal((schemas.value as { name: string }).name, 'Aggregate');
  });

  it('a malformed window dead-letters only the records folded into it, and closes without a result', async () => {
    const { state, run } = harness({
      time: 'at',
      window: { size: '1m' },
      aggregations: { n: 'count', revenue: { sum: 'total' } },
    });
    assert.deepEqual(run(rec('a', 1_000, 10)), []);
    assert.deepEqual(run(rec('b', 2_000, 5)), []);
    restored(state, 'w|0|a', 'not json');
    // Window and group named, what is wrong said; the record is dead-lettered (a StepFailedError).
    assert.throws(() => run(rec('a', 3_000, 1)), {
      name: StoredStateError.name,
      code: 'STATE_VALUE_INVALID',
      message: /state store "aggregate-1" holds "not json" under key "w\|0\|a", which is not JSON/,
    });
    assert.ok(new StoredStateError('s', 'st', 'k', 'v', 'f') instanceof StepFailedError);
    // Another group of the same window goes on.
    assert.deepEqual(run(rec('b', 4_000, 1)), []);
    // A window begun before `revenue` was added to the step: revenue counts from now on.
    restored(state, 'w|0|c', '{"n":4}');
    assert.deepEqual(run(rec('c', 5_000, 2)), []);
    // A window whose revenue is not what a sum writes: not read as something else.
    restored(state, 'w|60000|b', '{"n":1,"revenue":"6"}');
    assert.throws(
      () => run(rec('b', 61_000, 1)),
      /"w\|60000\|b", which has a malformed revenue \(sum: a number or null\)/,
    );
    // The record moving the stream time past the malformed window's end is not held back by it: the
    // other groups' results are emitted, the malformed window is deleted (a tombstone in the
    // changelog) without one.
    assert.deepEqual(run(rec('d', 60_500, 1)), [
      { group: 'b', window_start: 0, window_end: 60_000, final: true, n: 2, revenue: 6 },
      { group: 'c', window_start: 0, window_end: 60_000, final: true, n: 5, revenue: 2 },
    ]);
    assert.equal(state.beginRecord().store('aggregate-1').get('w|0|a'), undefined);
    assert.deepEqual(run(rec('d', 62_000, 1)), []);
    const { body } = await metricsExposition();
    assert.match(body, /sluice_aggregate_malformed_windows_dropped_total\{step="[^"]+"\} 1\n/);
  });

  it('reads what earlier versions and an overflow wrote: a null count counts on, an overflowed mean is null', () => {
    const { state, run } = harness({
      time: 'at',
      window: { size: '1m' },
      aggregations: { n: 'count', mean: { avg: 'total' } },
    });
    assert.deepEqual(run(rec('a', 1_000, 10)), []);
    // A count added while the window was open: earlier versions stored NaN, i.e. JSON null.
    restored(state, 'w|0|a', '{"n":null,"mean":{"s":10,"n":1}}');
    // A sum past the largest double: JSON stores Infinity as null.
    restored(state, 'w|0|b', '{"n":2,"mean":{"s":null,"n":2}}');
    assert.deepEqual(run(rec('a', 2_000, 20)), []);
    assert.deepEqual(run(rec('b', 3_000, 1)), []);
    assert.deepEqual(run(rec('z', 61_000, 1)), [
      { group: 'a', window_start: 0, window_end: 60_000, final: true, n: 1, mean: 15 },
      { group: 'b', window_start: 0, window_end: 60_000, final: true, n: 3, mean: null },
    ]);
  });

  it('a malformed stream time fails every record loudly instead of never closing a window', () => {
    const { state, run } = harness({ time: 'at', window: { size: '1m' }, aggregations: { n: 'count' } });
    assert.deepEqual(run(rec('a', 1_000, 1)), []);
    restored(state, '\u0000stream-time', 'NaN');
    for (const at of [2_000, 70_000])
      assert.throws(() => run(rec('a', at, 1)), {
        code: 'STATE_VALUE_INVALID',
        message: /holds "NaN" under key "\\u0000stream-time", which is not a stream time \(epoch ms\)/,
      });
    restored(state, '\u0000stream-time', ' ');
    assert.throws(() => run(rec('a', 2_000, 1)), StoredStateError);
    // Deleted (the tombstone the error asks for): the step goes on, and windows close again.
    restored(state, '\u0000stream-time', null);
    assert.deepEqual(run(rec('a', 2_000, 1)), []);
    assert.deepEqual(
      run(rec('a', 70_000, 1)).map((v) => [v.group, v.window_start, v.n]),
      [['a', 0, 2]],
    );
  });

  it('rejects a hopping advance larger than the size and an aggregation without its expression', () => {
    assert.throws(() =>
      aggregateStep.configSchema.parse({
        window: { size: '1m', advance: '2m' },
        aggregations: { n: 'count' },
      }),
    );
    assert.throws(() =>
      aggregateStep.configSchema.parse({ window: { size: '1m' }, aggregations: { n: {} } }),
    );
  });
});
