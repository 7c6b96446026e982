import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentError, RetriableError } from '@sluice/errors';
import { Lsn } from '../lsn/lsn';
import type { PostgresSession } from './postgres-session';
import { ReplicationPreflight } from './replication-preflight';
import { ReplicationSlot, type ReplicationSlotState } from './replication-slot';
import { selectTables } from './table-name';

const healthy: ReplicationSlotState = {
  name: 's1',
  plugin: 'pgoutput',
  slotType: 'logical',
  database: 'source',
  activePid: null,
  restartLsn: Lsn.parse('0/10'),
  confirmedFlushLsn: Lsn.parse('0/20'),
  walStatus: 'reserved',
  invalidationReason: null,
};

describe('replication checks', () => {
  it('refuses wal_level other than logical, naming the setting and the fix (settings reader injected)', async () => {
    // wal_level needs a restart to change, so the shared server cannot show the failure itself.
    const preflight = new ReplicationPreflight({} as PostgresSession, { readSetting: async () => 'replica' });
    await assert.rejects(preflight.checkWalLevel(), (error: unknown) => {
      assert.ok(error instanceof EnvironmentError && error.code === 'PG_WAL_LEVEL');
      assert.match(error.message, /wal_level = replica/);
      assert.match(error.message, /ALTER SYSTEM SET wal_level = logical/);
      return true;
    });
    const ok = new ReplicationPreflight({} as PostgresSession, { readSetting: async () => 'logical' });
    await ok.checkWalLevel();
  });

  it('accepts a healthy slot and refuses an invalidated, foreign or busy one', () => {
    ReplicationSlot.checkUsable(healthy, 'source');
    ReplicationSlot.checkUsable({ ...healthy, activePid: 7 }, 'source', 7);
    assert.throws(
      () =>
        ReplicationSlot.checkUsable(
          { ...healthy, walStatus: 'lost', invalidationReason: 'wal_removed' },
          'source',
        ),
      (e: unknown) =>
        e instanceof EnvironmentError &&
        e.code === 'PG_SLOT_INVALIDATED' &&
        /pg_drop_replication_slot\('s1'\)/.test(e.message),
    );
    assert.throws(
      () => ReplicationSlot.checkUsable(healthy, 'other'),
      (e: unknown) => e instanceof EnvironmentError && e.code === 'PG_SLOT_INCOMPATIBLE',
    );
    assert.throws(
      () => ReplicationSlot.checkUsable({ ...healthy, plugin: 'test_decoding' }, 'source'),
      /plugin test_decoding/,
    );
    assert.throws(
      () => ReplicationSlot.checkUsable({ ...healthy, activePid: 42 }, 'source'),
      (e: unknown) =>
        e instanceof RetriableError &&
        e.code === 'PG_SLOT_IN_USE' &&
        /pg_terminate_backend\(42\)/.test(e.message),
    );
  });

  it('selects tables by include and exclude patterns with * wildcards', () => {
    const tables = [
      { schema: 'public', table: 'orders' },
      { schema: 'public', table: 'order_lines' },
      { schema: 'sales', table: 'orders' },
      { schema: 'public', table: 'audit.x' },
    ];
    assert.deepEqual(
      selectTables(tables, ['public.*'], ['public.order_*']).map((t) => t.table),
      ['orders', 'audit.x'],
    );
    assert.deepEqual(
      selectTables(tables, ['*.orders']).map((t) => t.schema),
      ['public', 'sales'],
    );
    assert.deepEqual(selectTables(tables, ['public.order_lines']).length, 1);
    assert.deepEqual(selectTables(tables, ['public.orders?']), []);
  });

  it('orders the selected tables by the include pattern that selects them first (Debezium snapshot order)', () => {
    const tables = [
      { schema: 'public', table: 'a' },
      { schema: 'public', table: 'b' },
      { schema: 'sales', table: 'c' },
      { schema: 'sales', table: 'd' },
    ];
    assert.deepEqual(
      selectTables(tables, ['sales.d', 'public.*', 'sales.*']).map((t) => t.table),
      ['d', 'a', 'b', 'c'],
    );
  });
});
