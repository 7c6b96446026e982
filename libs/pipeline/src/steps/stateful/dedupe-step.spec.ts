import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionState } from '@sluice/stream';
import type { WorkingRecord } from '../../record/pipeline-record';
import { dedupeStep } from './dedupe-step';

const context = {
  label: 'steps[0].dedupe',
  baseDir: '.',
  clock: () => 0,
  lookups: undefined as never,
  index: 0,
};

const rec = (key: string, ts: number, value: object = { id: key }): WorkingRecord => ({
  metadata: { topic: 't', partition: 0, offset: '0', timestamp: ts },
  key,
  value,
  headers: [],
});

describe('dedupe step', () => {
  it('drops a key seen within the window, lets it through after, and forgets expired keys', () => {
    const step = dedupeStep.fromConfig(dedupeStep.configSchema.parse({ within: '10s' }), context);
    assert.deepEqual(step.stores, ['dedupe-0']);
    const state = new PartitionState({ topic: 't', partition: 0 }, 'g', step.stores!);
    const run = (r: WorkingRecord) => {
      const scope = state.beginRecord();
      const out = step.apply(r, scope);
      scope.apply();
      state.commitBatch();
      return out === null ? 'dropped' : 'passed';
    };
    assert.equal(run(rec('a', 1_000)), 'passed');
    assert.equal(run(rec('a', 5_000)), 'dropped');
    assert.equal(run(rec('b', 6_000)), 'passed');
    assert.equal(run(rec('a', 11_000)), 'passed', 'ten seconds after the first a');
    assert.equal(run(rec('b', 15_999)), 'dropped');
    // Stream time moves two windows on: every key expired and is deleted from the store.
    assert.equal(run(rec('c', 40_000)), 'passed');
    assert.deepEqual(
      [...state.beginRecord().store('dedupe-0').entries()]
        .map(([k]) => k)
        .filter((k) => !k.startsWith('\u0000')),
      ['kc'],
    );
  });

  it('by an expression, and a failed attempt leaves nothing behind', () => {
    const step = dedupeStep.fromConfig(dedupeStep.configSchema.parse({ key: 'id', within: 60_000 }), context);
    const state = new PartitionState({ topic: 't', partition: 0 }, 'g', step.stores!);
    const aborted = state.beginRecord();
    assert.notEqual(step.apply(rec('k1', 1, { id: 7 }), aborted), null);
    // Not applied (the record was retried or dead-lettered): 7 is still unseen.
    const scope = state.beginRecord();
    assert.notEqual(step.apply(rec('k2', 2, { id: 7 }), scope), null);
    assert.deepEqual(
      scope.changes().map((c) => c.key),
      ['\u0000stream-time', 'k7'],
    );
    scope.apply();
    state.abortBatch();
    assert.notEqual(step.apply(rec('k3', 3, { id: 7 }), state.beginRecord()), null, 'batch aborted: unseen');
  });

  it('refuses to run without state', () => {
    const step = dedupeStep.fromConfig(dedupeStep.configSchema.parse({ within: '1m' }), context);
    assert.throws(() => step.apply(rec('a', 1)), /needs the partition's state store/);
  });
});
