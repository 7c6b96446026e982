import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type StreamRecord } from '@sluice/stream';
import { type RowChange, type TargetTable } from '../plan/row-change';
import { ChangeBatch } from './change-batch';

const table = (signature = 'v1', history = false): TargetTable => ({
  schema: 'public',
  name: 'items',
  qualified: '"public"."items"',
  keyColumns: [],
  columns: [],
  signature,
  options: { history, merge: true },
});

let offset = 0n;
function change(
  key: string,
  kind: RowChange['kind'],
  lsn: number | null,
  extra: Partial<RowChange> = {},
): RowChange {
  const record = { topic: 't', partition: 0, offset: offset++ } as StreamRecord;
  return {
    kind,
    op: kind === 'delete' ? 'd' : 'u',
    table: table(),
    key: [key],
    keyId: JSON.stringify([key]),
    values: kind === 'upsert' ? [key, `v${lsn}`] : null,
    position: { lsn: lsn === null ? null : BigInt(lsn), tsMs: 1n },
    before: null,
    after: null,
    record,
    ...extra,
  };
}

const only = (batch: ChangeBatch) => {
  assert.equal(batch.steps.length, 1);
  const step = batch.steps[0];
  assert.equal(step.kind, 'rows');
  return step.kind === 'rows' ? [...step.rows.values()] : [];
};

describe('ChangeBatch (coalescing and last-writer-wins within a batch)', () => {
  it('keeps the last change of each key, and the chain it stands for', () => {
    const batch = new ChangeBatch(true);
    batch.add(change('a', 'upsert', 10));
    batch.add(change('b', 'upsert', 11));
    batch.add(change('a', 'upsert', 12));
    batch.add(change('a', 'delete', 13));
    const rows = only(batch);
    assert.equal(rows.length, 2);
    const a = rows.find((r) => r.change.keyId === '["a"]')!;
    assert.equal(a.change.kind, 'delete');
    assert.equal(a.chain.length, 3);
  });

  it('a delete then an insert of the key writes the insert', () => {
    const batch = new ChangeBatch(true);
    batch.add(change('a', 'delete', 10));
    batch.add(change('a', 'upsert', 11));
    assert.equal(only(batch)[0].change.kind, 'upsert');
  });

  it('lww: an older change than the key’s state is overruled, never applied', () => {
    const batch = new ChangeBatch(true);
    batch.add(change('a', 'upsert', 20));
    const old = change('a', 'upsert', 5);
    batch.add(old);
    assert.equal(only(batch)[0].change.position.lsn, 20n);
    assert.deepEqual(batch.overruled, [{ change: old, current: { lsn: 20n, tsMs: 1n } }]);
  });

  it('lww: equal positions apply in order (the same event redelivered is no conflict)', () => {
    const batch = new ChangeBatch(true);
    batch.add(change('a', 'upsert', 20));
    batch.add(change('a', 'upsert', 20, { values: ['a', 'second'] }));
    assert.deepEqual(only(batch)[0].change.values, ['a', 'second']);
    assert.equal(batch.overruled.length, 0);
  });

  it('a tombstone trailing a delete changes nothing and is no conflict', () => {
    const batch = new ChangeBatch(true);
    batch.add(change('a', 'delete', 20));
    batch.add(change('a', 'delete', null, { op: 'tombstone' }));
    assert.equal(batch.overruled.length, 0);
    assert.equal(only(batch)[0].change.op, 'd');
  });

  it('without lww every change applies in consumption order', () => {
    const batch = new ChangeBatch(false);
    batch.add(change('a', 'upsert', 20));
    batch.add(change('a', 'upsert', 5));
    assert.equal(only(batch)[0].change.position.lsn, 5n);
    assert.equal(batch.overruled.length, 0);
  });

  it('merge masks of folded updates are united; a full write stays full', () => {
    const batch = new ChangeBatch(true);
    batch.add(change('a', 'upsert', 1, { changed: [false, true, false] }));
    batch.add(change('a', 'upsert', 2, { changed: [false, false, true] }));
    batch.add(change('b', 'upsert', 3));
    batch.add(change('b', 'upsert', 4, { changed: [false, true, false] }));
    const rows = only(batch);
    assert.deepEqual(rows[0].changed, [false, true, true]);
    assert.equal(rows[1].changed, undefined);
  });

  it('a key written by another schema version, or a truncate, starts a new step', () => {
    const batch = new ChangeBatch(true);
    batch.add(change('a', 'upsert', 1));
    batch.add(change('a', 'upsert', 2, { table: table('v2') }));
    batch.add(change('b', 'truncate', 3));
    batch.add(change('b', 'upsert', 4));
    assert.deepEqual(
      batch.steps.map((s) => s.kind),
      ['rows', 'rows', 'truncate', 'rows'],
    );
  });

  it('history keeps every change of a history table, in order', () => {
    const batch = new ChangeBatch(true);
    const h = table('v1', true);
    batch.add(change('a', 'upsert', 1, { table: h }));
    batch.add(change('a', 'upsert', 0, { table: h }));
    batch.add(change('a', 'delete', 2, { table: h }));
    assert.equal(batch.history.length, 3);
  });
});
