import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lsn } from '../lsn/lsn';
import type { PgOutputMessage, Relation } from '../pgoutput/pgoutput-message';
import { SnapshotProgress } from './snapshot-progress';
import { readWatermark, SnapshotWindow } from './snapshot-window';
import type { SnapshotTable } from './table-description';
import { WATERMARK_PREFIX, type WatermarkedChunk } from './watermarked-chunk-reader';

const relation: Relation = {
  relationId: 10,
  schema: 'public',
  table: 't',
  replicaIdentity: 'default',
  columns: [
    { index: 0, name: 'id', typeOid: 23, typeModifier: -1, isKey: true },
    { index: 1, name: 'v', typeOid: 25, typeModifier: -1, isKey: false },
  ],
};
const other: Relation = { ...relation, relationId: 11, table: 'u' };
const table: SnapshotTable = {
  relation,
  pageKey: [relation.columns[0]],
  pageKeyTypes: ['integer'],
  estimatedRows: 4,
};

function chunk(): WatermarkedChunk {
  return {
    windowId: 'w1',
    table,
    rows: [
      ['1', 'a'],
      ['2', 'b'],
      ['3', 'c'],
      ['4', 'd'],
    ],
    lastKey: ['4'],
    highWatermark: Lsn.parse('0/20'),
  };
}

function watermark(windowId: string, edge: string, prefix = WATERMARK_PREFIX): PgOutputMessage {
  return {
    type: 'message',
    xid: undefined,
    transactional: false,
    lsn: Lsn.parse('0/10'),
    prefix,
    content: Buffer.from(JSON.stringify({ windowId, edge })),
  };
}

describe('SnapshotWindow (DBLog deduplication)', () => {
  it('drops chunk rows whose key changed inside the window and emits the rest at the high watermark', () => {
    const window = new SnapshotWindow(chunk());
    assert.equal(window.observe(watermark('other-window', 'high')), undefined, "another window's");
    window.observe({
      type: 'update',
      xid: undefined,
      relation,
      oldKind: null,
      oldValues: null,
      newValues: ['2', 'B'],
    });
    window.observe({ type: 'delete', xid: undefined, relation, oldKind: 'key', oldValues: ['3', null] });
    window.observe({ type: 'insert', xid: undefined, relation: other, newValues: ['4', 'x'] }); // another table
    const emitted = window.observe(watermark('w1', 'high'));
    assert.deepEqual(emitted, [
      ['1', 'a'],
      ['4', 'd'],
    ]);
    assert.equal(window.observe(watermark('w1', 'high')), undefined, 'emits once');
    window.observe({ type: 'delete', xid: undefined, relation, oldKind: 'key', oldValues: ['1', null] });
    assert.equal(window.size, 2, 'closed: later changes no longer touch it');
  });

  it('is open from the read: a change streamed before a low watermark still drops its row', () => {
    // A commit's WAL record can precede a low watermark while the commit is not yet visible to the
    // SELECT after it: the row read is older than that streamed change, so it must not be emitted.
    const window = new SnapshotWindow(chunk());
    window.observe({
      type: 'update',
      xid: undefined,
      relation,
      oldKind: null,
      oldValues: null,
      newValues: ['1', 'newer'],
    });
    assert.equal(window.observe(watermark('w1', 'low')), undefined, "an earlier version's low watermark");
    assert.deepEqual(
      window.observe(watermark('w1', 'high'))?.map((r) => r[0]),
      ['2', '3', '4'],
    );
  });

  it('drops both keys of a key-changing update, and everything on a truncate of the table', () => {
    const window = new SnapshotWindow(chunk());
    window.observe({
      type: 'update',
      xid: undefined,
      relation,
      oldKind: 'key',
      oldValues: ['1', null],
      newValues: ['4', 'z'],
    });
    assert.equal(window.size, 2);
    window.observe({
      type: 'truncate',
      xid: undefined,
      relations: [relation],
      cascade: false,
      restartIdentity: false,
    });
    assert.deepEqual(window.observe(watermark('w1', 'high')), []);
  });

  it('finds a key by its columns’ names in a tuple of the table’s shape before a column was dropped', () => {
    // The chunk was read after `note` (before `id`) was dropped; the stream, behind, still carries
    // tuples with it: `id` at index 1 there.
    const before: Relation = {
      ...relation,
      columns: [
        { index: 0, name: 'note', typeOid: 25, typeModifier: -1, isKey: false },
        { index: 1, name: 'id', typeOid: 23, typeModifier: -1, isKey: true },
        { index: 2, name: 'v', typeOid: 25, typeModifier: -1, isKey: false },
      ],
    };
    const window = new SnapshotWindow(chunk());
    window.observe({ type: 'insert', xid: undefined, relation: before, newValues: ['3', '2', 'x'] });
    assert.deepEqual(
      window.observe(watermark('w1', 'high'))?.map((r) => r[0]),
      ['1', '3', '4'],
      'row 2 dropped (its key), not row 3 (the dropped column’s value)',
    );
  });

  it('reads watermarks only from its own prefix and well-formed content', () => {
    assert.deepEqual(readWatermark(watermark('w', 'low')), { windowId: 'w', edge: 'low' });
    assert.equal(readWatermark(watermark('w', 'low', 'someone.else')), undefined);
    assert.equal(readWatermark(watermark('w', 'middle')), undefined);
    assert.equal(
      readWatermark({
        ...(watermark('w', 'low') as object),
        content: Buffer.from('{not json'),
      } as PgOutputMessage),
      undefined,
    );
  });
});

describe('SnapshotProgress', () => {
  it('reports rows done and total per table, rate and ETA', () => {
    let now = 1_000;
    const progress = new SnapshotProgress(() => now);
    const t = { schema: 'public', table: 't' };
    progress.addTable(t, 1000);
    assert.equal(progress.view.etaSeconds, undefined);
    progress.record(t, 100);
    now += 1_000;
    progress.record(t, 100);
    const view = progress.view;
    assert.equal(view.rowsDone, 200);
    assert.equal(view.rowsPerSecond, 200);
    assert.equal(view.etaSeconds, 4);
    progress.record(t, 900); // the estimate was low
    assert.deepEqual(progress.view.tables, [
      { table: 'public.t', rowsDone: 1100, rowsTotal: 1100, done: false },
    ]);
    progress.completeTable(t);
    assert.equal(progress.view.tables[0].done, true);
  });
});
