import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeEvent } from '../events/change-event-builder';
import { Lsn } from '../lsn/lsn';
import type { TableName } from '../replication/table-name';
import type { SnapshotReader } from '../snapshot/snapshot-reader';
import { type SnapshotContext, SnapshotPhase, snapshotMarker } from './snapshot-phase';

/** Runs a SnapshotPhase over tables of the given row counts; the markers per table, in order. */
async function markers(
  rowsPerTable: number[],
  chunkSize = 2,
): Promise<{ markers: string[][]; txIds: unknown[] }> {
  const tables: TableName[] = rowsPerTable.map((_, i) => ({ schema: 's', table: `t${i}` }));
  const sent: { table: number; event: ChangeEvent }[] = [];
  const reader = {
    txId: 4711,
    describe: async (name: TableName) => ({ relation: { relationId: Number(name.table.slice(1)) } }),
    async *read(table: { relation: { relationId: number } }) {
      const n = rowsPerTable[table.relation.relationId]!;
      for (let at = 0; at < n; at += chunkSize) {
        yield { rows: Array.from({ length: Math.min(chunkSize, n - at) }, () => []) };
      }
    },
  } as unknown as SnapshotReader;
  const context = {
    chunkSize,
    tables: {
      describe: async () => undefined,
      schemaOf: (relationId: number) => ({ relationId }),
      route: (relationId: number, event: ChangeEvent) => ({ send: { relationId, event } }),
    },
    builder: {
      read: (
        schema: { relationId: number },
        _row: unknown,
        position: { txId?: number; snapshot?: string },
      ) => [
        {
          topic: `t${schema.relationId}`,
          key: {},
          value: { source: { snapshot: position.snapshot, txId: position.txId } },
        },
      ],
    },
    window: { open: () => ({}) },
    publisher: {
      publish: async (send: { relationId: number; event: ChangeEvent }) => {
        sent.push({ table: send.relationId, event: send.event });
      },
      hold: async () => undefined,
      close: () => undefined,
      flush: async () => undefined,
    },
    whilePaused: () => undefined,
    onEvents: () => undefined,
  } as unknown as SnapshotContext;
  await new SnapshotPhase(context).run(reader, tables, Lsn.parse('0/16B3748'));
  const out: string[][] = rowsPerTable.map(() => []);
  for (const { table, event } of sent) out[table]!.push(String(event.value!.source.snapshot));
  return { markers: out, txIds: [...new Set(sent.map((s) => s.event.value!.source.txId))] };
}

describe('SnapshotPhase source.snapshot markers (Debezium 3.x SnapshotMarkerResolver)', () => {
  it('marks the snapshot first/last and each table first_in_/last_in_data_collection, true between', async () => {
    const { markers: m, txIds } = await markers([3, 4, 3]);
    assert.deepEqual(m, [
      ['first', 'true', 'last_in_data_collection'],
      ['first_in_data_collection', 'true', 'true', 'last_in_data_collection'],
      ['first_in_data_collection', 'true', 'last'],
    ]);
    assert.deepEqual(txIds, [4711], "every read carries the snapshot transaction's id");
  });

  it("a table's only row is its last; the first table's only row is first; one row in all is last", async () => {
    assert.deepEqual((await markers([1, 1, 1])).markers, [['first'], ['last_in_data_collection'], ['last']]);
    assert.deepEqual((await markers([1])).markers, [['last']]);
    assert.deepEqual((await markers([2])).markers, [['first', 'last']]);
  });

  it('an empty first table means no first; an empty last table moves last to the final row', async () => {
    assert.deepEqual((await markers([0, 2, 0])).markers, [[], ['first_in_data_collection', 'last'], []]);
    assert.deepEqual((await markers([2, 2, 0])).markers, [
      ['first', 'last_in_data_collection'],
      ['first_in_data_collection', 'last'],
      [],
    ]);
    assert.deepEqual((await markers([0, 0])).markers, [[], []]);
  });

  it('snapshotMarker: last of the last table wins over first of the first', () => {
    const place = { firstTable: true, lastTable: true, firstInTable: true, lastInTable: true };
    assert.equal(snapshotMarker(place), 'last');
    assert.equal(snapshotMarker({ ...place, lastTable: false }), 'first');
    assert.equal(
      snapshotMarker({ ...place, firstTable: false, lastTable: false }),
      'last_in_data_collection',
    );
    assert.equal(
      snapshotMarker({ ...place, firstTable: false, lastTable: false, lastInTable: false }),
      'first_in_data_collection',
    );
    assert.equal(
      snapshotMarker({ firstTable: false, lastTable: false, firstInTable: false, lastInTable: false }),
      'true',
    );
  });
});
