import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionState } from '@sluice/stream';
import type { WorkingRecord } from '../../record/pipeline-record';
import { aggregateStep, LateRecordError } from './aggregate-step';

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
