import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgOid } from '../types/pg-oid';
import { ChunkQuery, type SnapshotTable } from './table-description';

const keyless = (partitioned: boolean): SnapshotTable => ({
  relation: {
    relationId: 1,
    schema: 's',
    table: 'logs',
    replicaIdentity: 'full',
    columns: [
      { index: 0, name: 'region', typeOid: PgOid.TEXT, typeModifier: -1, isKey: true },
      { index: 1, name: 'msg', typeOid: PgOid.TEXT, typeModifier: -1, isKey: true },
    ],
  },
  pageKey: [],
  pageKeyTypes: [],
  estimatedRows: -1,
  ...(partitioned && { partitioned }),
});

describe('ChunkQuery', () => {
  it('pages a keyless table by ctid', () => {
    const query = new ChunkQuery(keyless(false), '"s"."logs"');
    assert.equal(
      query.next,
      'SELECT "region", "msg", ctid FROM "s"."logs" WHERE (ctid) > ($1::tid) ORDER BY ctid LIMIT $2',
    );
    assert.deepEqual(query.keyOf(['eu', 'a', '(0,1)']), ['(0,1)']);
  });

  it('pages a keyless partitioned table by (tableoid, ctid): ctids repeat across its partitions', () => {
    const query = new ChunkQuery(keyless(true), '"s"."logs"');
    assert.equal(
      query.next,
      'SELECT "region", "msg", tableoid, ctid FROM "s"."logs" WHERE (tableoid, ctid) > ($1::oid, $2::tid) ' +
        'ORDER BY tableoid, ctid LIMIT $3',
    );
    assert.deepEqual(query.keyOf(['eu', 'a', '16500', '(0,1)']), ['16500', '(0,1)']);
  });
});
