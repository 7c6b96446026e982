import type { ChangeEvent } from '../events/change-event-builder';
import type { SnapshotMarker } from '../events/source-schema';
import type { Lsn } from '../lsn/lsn';
import type { AcknowledgementWindow } from '../offsets/acknowledgement-window';
import type { TableName } from '../replication/table-name';
import type { SnapshotReader } from '../snapshot/snapshot-reader';
import { deliver, type PhaseContext } from './phase-context';

export interface SnapshotContext extends PhaseContext {
  readonly chunkSize: number;
}

/** Where a snapshot row stands: in the snapshot's table order and in its own table. */
export interface SnapshotRowPlace {
  readonly firstTable: boolean;
  readonly lastTable: boolean;
  readonly firstInTable: boolean;
  readonly lastInTable: boolean;
}

/**
 * Debezium's `source.snapshot` of a snapshot row (RelationalSnapshotChangeEventSource's
 * SnapshotMarkerResolver): `last` on the last row of the last table, `first` on the first row of the
 * first table, else `last_in_data_collection` / `first_in_data_collection` on a table's last / first
 * row (a table's only row is its last), `true` between. The tables are in snapshot order, empty ones
 * included: when the first table is empty no row says `first`. The snapshot's very last row says
 * `last` whichever table it is in (Debezium's completeSnapshot, for an empty last table).
 */
export function snapshotMarker(place: SnapshotRowPlace): SnapshotMarker {
  if (place.lastInTable && place.lastTable) return 'last';
  if (place.firstInTable && place.firstTable) return 'first';
  if (place.lastInTable) return 'last_in_data_collection';
  if (place.firstInTable) return 'first_in_data_collection';
  return 'true';
}

/**
 * The initial snapshot: every captured table read, chunk by chunk, inside the transaction that
 * imported the slot's exported snapshot, as `op: r` events carrying the slot's consistent point and
 * the snapshot transaction's id. Streaming then starts at that point, so each row's history continues
 * without gap or overlap. `source.snapshot` marks the snapshot's and each table's first and last rows
 * as Debezium (`snapshotMarker`).
 */
export class SnapshotPhase {
  /** The event built last, sent when the next one is known (so a table's last row is known). */
  private previous: { relationId: number; event: ChangeEvent; place: SnapshotRowPlace } | undefined;

  constructor(private readonly context: SnapshotContext) {}

  async run(reader: SnapshotReader, tables: readonly TableName[], consistentPoint: Lsn): Promise<void> {
    const { builder, window, publisher } = this.context;
    // One transaction: exactly once, the snapshot is one Kafka transaction (interrupted, it is
    // aborted whole and taken again), unless it outlasts half the transaction timeout.
    const tx = window.open();
    const position = {
      lsn: consistentPoint,
      txId: reader.txId,
      commitTimeMicros: BigInt(Date.now()) * 1000n,
      snapshot: 'true' as const,
    };
    const described = [];
    for (const name of tables) described.push(await reader.describe(name));
    for (const [order, table] of described.entries()) {
      await this.context.tables.describe(table.relation, 'snapshot');
      const relationId = table.relation.relationId;
      const firstTable = order === 0;
      const lastTable = order === described.length - 1;
      let firstInTable = true;
      for await (const chunk of reader.read(table, { chunkSize: this.context.chunkSize })) {
        const schema = this.context.tables.schemaOf(relationId);
        for (const row of chunk.rows) {
          const [event] = builder.read(schema, row, position);
          if (event === undefined) continue; // left out (event.processing.failure.handling.mode)
          if (this.previous) await this.flushPrevious(tx, false);
          this.previous = {
            relationId,
            event,
            place: { firstTable, lastTable, firstInTable, lastInTable: false },
          };
          firstInTable = false;
        }
        this.context.onEvents(chunk.rows.length);
        const paused = this.context.whilePaused();
        if (paused) await paused;
      }
      // The table's rows are all read: the one held back is its last.
      if (this.previous?.relationId === relationId && !firstInTable) {
        this.previous = { ...this.previous, place: { ...this.previous.place, lastInTable: true } };
      }
    }
    if (this.previous) await this.flushPrevious(tx, true);
    publisher.close(tx, consistentPoint);
    await publisher.flush();
  }

  private async flushPrevious(tx: ReturnType<AcknowledgementWindow['open']>, lastOfSnapshot: boolean) {
    const { relationId, event, place } = this.previous!;
    this.previous = undefined;
    if (event.value) event.value.source.snapshot = lastOfSnapshot ? 'last' : snapshotMarker(place);
    await deliver(this.context, relationId, event, tx);
  }
}
