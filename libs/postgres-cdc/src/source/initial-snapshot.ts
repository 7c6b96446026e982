import type { Lsn } from '../lsn/lsn';
import type { PostgresConnectionOptions } from '../replication/postgres-connection-options';
import type { PostgresSession } from '../replication/postgres-session';
import { ReplicationConnection } from '../replication/replication-connection';
import type { TableName } from '../replication/table-name';
import { SnapshotProgress } from '../snapshot/snapshot-progress';
import { SnapshotReader } from '../snapshot/snapshot-reader';
import { type SnapshotContext, SnapshotPhase } from './snapshot-phase';
import type { SourceLog } from './source-dependencies';

export interface InitialSnapshotOptions {
  readonly connection: PostgresConnectionOptions;
  /** The permanent slot's name. */
  readonly slot: string;
  /** Whether the permanent slot is made from the snapshot's (not for initial_only: it only snapshots). */
  readonly createSlot: boolean;
  readonly log: SourceLog;
  /** Hands a resource to the run, which releases it if the snapshot is interrupted. */
  readonly hold: (what: string, release: () => Promise<unknown>) => void;
  /** The rows are about to be read. */
  readonly onReading: () => void;
}

/**
 * The initial snapshot, consistent without an offset store: it reads from a *temporary* slot's
 * exported snapshot, and only when every snapshot event is in Kafka is that slot copied into the
 * permanent one. A permanent slot therefore means "snapshot complete", and a crash mid-snapshot
 * leaves no slot, so the next start snapshots again. The rows themselves are `SnapshotPhase`'s.
 */
export class InitialSnapshot {
  /** Rows read so far, for status and the stall watchdog. */
  readonly progress = new SnapshotProgress();

  constructor(private readonly options: InitialSnapshotOptions) {}

  /** Snapshots `tables`; resolves to the slot's consistent point, where streaming starts. */
  async run(session: PostgresSession, tables: readonly TableName[], context: SnapshotContext): Promise<Lsn> {
    const { connection, slot, hold, log } = this.options;
    const temporary = `${slot.slice(0, 50)}_snapshot`;
    const replication = await ReplicationConnection.connect(connection);
    // An interrupted snapshot must not leave the temporary slot's connection (and slot) behind.
    hold('closing the snapshot slot connection', () => replication.close());
    try {
      const created = await replication.createSlot(temporary, { exportSnapshot: true, temporary: true });
      const reader = await SnapshotReader.open(connection, created.snapshotName, this.progress);
      hold('closing the snapshot reader', () => reader.close());
      this.options.onReading();
      log.info({ tables: tables.length, at: created.consistentPoint.toString() }, 'snapshot started');
      try {
        await new SnapshotPhase(context).run(reader, tables, created.consistentPoint);
      } finally {
        await reader.close();
      }
      log.info({ rows: this.progress.view.rowsDone }, 'snapshot complete');
      if (!this.options.createSlot) return created.consistentPoint;
      // Everything of the snapshot is in Kafka: only now does the permanent slot exist.
      await session.query(
        'SELECT pg_copy_logical_replication_slot($1, $2, false)',
        [temporary, slot],
        `Creating slot ${slot} from the snapshot's slot`,
      );
      return created.consistentPoint;
    } finally {
      await replication.close();
    }
  }
}
