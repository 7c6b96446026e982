import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InsertMessage, Relation } from '../pgoutput/pgoutput-message';
import { InvalidSignalError, SignalTable } from './signal-table';

const relation: Relation = {
  relationId: 1,
  schema: 'public',
  table: 'debezium_signal',
  replicaIdentity: 'default',
  columns: ['id', 'type', 'data'].map((name, index) => ({
    index,
    name,
    typeOid: 1043,
    typeModifier: -1,
    isKey: index === 0,
  })),
};
const insert = (values: (string | null)[]): InsertMessage => ({
  type: 'insert',
  xid: undefined,
  relation,
  newValues: values,
});
const signals = new SignalTable({ schema: 'public', table: 'debezium_signal' });

describe('SignalTable', () => {
  it("parses Debezium's execute-snapshot signal, incremental by default", () => {
    assert.deepEqual(signals.parse(insert(['a', 'execute-snapshot', '{"data-collections": ["public.t"]}'])), {
      id: 'a',
      type: 'execute-snapshot',
      dataCollections: ['public.t'],
      snapshotType: 'incremental',
    });
    assert.deepEqual(signals.parse(insert(['b', 'stop-snapshot', null])), {
      id: 'b',
      type: 'stop-snapshot',
      data: null,
    });
    assert.ok(signals.matches(relation));
    assert.ok(!signals.matches({ ...relation, table: 'other' }));
  });

  it('refuses malformed signals with an error naming the signal and what is wrong', () => {
    const cases: Array<[(string | null)[], RegExp]> = [
      [['c', 'execute-snapshot', '{oops'], /Signal c .* data is not JSON/],
      [['d', 'execute-snapshot', '{"data-collections": []}'], /non-empty array/],
      [
        ['e', 'execute-snapshot', '{"data-collections": ["public.t"], "type": "sideways"}'],
        /"sideways" is not incremental or blocking/,
      ],
      [[null, 'log', null], /lacks its id or type/],
    ];
    for (const [values, message] of cases) {
      assert.throws(
        () => signals.parse(insert(values)),
        (error: unknown) =>
          error instanceof InvalidSignalError &&
          error.code === 'PG_SIGNAL_INVALID' &&
          message.test((error as Error).message),
      );
    }
  });
});
