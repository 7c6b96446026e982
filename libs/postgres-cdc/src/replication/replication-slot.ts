import { EnvironmentError, RetriableError } from '@sluice/errors';
import { Lsn } from '../lsn/lsn';
import type { PostgresSession } from './postgres-session';

/** A row of pg_replication_slots, typed. */
export interface ReplicationSlotState {
  readonly name: string;
  readonly plugin: string | null;
  readonly slotType: string;
  readonly database: string | null;
  readonly activePid: number | null;
  readonly restartLsn: Lsn;
  readonly confirmedFlushLsn: Lsn;
  /** reserved / extended / unreserved / lost (lost: required WAL was removed). */
  readonly walStatus: string | null;
  /** Postgres 17+: why the slot was invalidated (wal_removed, rows_removed, idle_timeout...). */
  readonly invalidationReason: string | null;
}

/** A logical replication slot as seen through the catalog; creation goes through `ReplicationConnection.createSlot`. */
export class ReplicationSlot {
  constructor(
    private readonly session: PostgresSession,
    readonly name: string,
  ) {}

  async state(): Promise<ReplicationSlotState | undefined> {
    const [row] = await this.session.query(
      `SELECT slot_name, plugin, slot_type, database, active_pid::text, restart_lsn::text,
              confirmed_flush_lsn::text, wal_status,
              to_jsonb(s) ->> 'invalidation_reason' AS invalidation_reason
         FROM pg_replication_slots s WHERE slot_name = $1`,
      [this.name],
      `Reading replication slot ${this.name}`,
    );
    if (row === undefined) return undefined;
    return {
      name: row.slot_name as string,
      plugin: row.plugin,
      slotType: row.slot_type as string,
      database: row.database,
      activePid: row.active_pid === null ? null : Number(row.active_pid),
      restartLsn: row.restart_lsn ? Lsn.parse(row.restart_lsn) : Lsn.INVALID,
      confirmedFlushLsn: row.confirmed_flush_lsn ? Lsn.parse(row.confirmed_flush_lsn) : Lsn.INVALID,
      walStatus: row.wal_status,
      invalidationReason: row.invalidation_reason,
    };
  }

  /**
   * Throws a clear error when the existing slot cannot serve this source: another process streams
   * from it (retriable: a previous instance may still be shutting down), it belongs to another
   * database or plugin, or it was invalidated (its WAL is gone; only a new slot and snapshot help).
   */
  static checkUsable(state: ReplicationSlotState, database: string, ownPid?: number): void {
    const name = state.name;
    if (state.slotType !== 'logical' || state.plugin !== 'pgoutput') {
      throw new EnvironmentError(
        `Replication slot ${name} is a ${state.slotType} slot with plugin ${state.plugin ?? 'none'}; Sluice needs a ` +
          `logical pgoutput slot: configure another slot name or drop this one`,
        { code: 'PG_SLOT_INCOMPATIBLE' },
      );
    }
    if (state.database !== database) {
      throw new EnvironmentError(
        `Replication slot ${name} belongs to database ${state.database}, not ${database}: configure another slot name`,
        { code: 'PG_SLOT_INCOMPATIBLE' },
      );
    }
    if (state.walStatus === 'lost' || state.invalidationReason !== null) {
      throw new EnvironmentError(
        `Replication slot ${name} was invalidated (${state.invalidationReason ?? 'wal_status lost'}): the WAL it ` +
          `needed is gone and changes were lost to it. Drop the slot (SELECT pg_drop_replication_slot('${name}')) ` +
          `and start again with a new snapshot (snapshot.mode when_needed does this); consider max_slot_wal_keep_size`,
        { code: 'PG_SLOT_INVALIDATED' },
      );
    }
    if (state.activePid !== null && state.activePid !== ownPid) {
      throw new RetriableError(
        `Replication slot ${name} is active for process ${state.activePid}: another connection streams from it. ` +
          `If no other Sluice source uses this slot, wait for the old connection to end or run ` +
          `SELECT pg_terminate_backend(${state.activePid})`,
        { code: 'PG_SLOT_IN_USE' },
      );
    }
  }

  async drop(): Promise<void> {
    await this.session.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
      [this.name],
      `Dropping replication slot ${this.name}`,
    );
  }
}
