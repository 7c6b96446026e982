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

/**
 * The initial snapshot: every captured table read, chunk by chunk, inside the transaction that
 * imported the slot's exported snapshot, as `op: r` events carrying the slot's consistent point.
 * Streaming then starts at that point, so each row's history continues without gap or overlap.
 * `source.snapshot` is `first` on the first event, `last` on the last, `true` between, as Debezium.
 */
export class SnapshotPhase {
  /** The event built last, sent when the next one is known (so the very last can say `last`). */
  private previous: { relationId: number; event: ChangeEvent } | undefined;
  private first = true;

  constructor(private readonly context: SnapshotContext) {}

  async run(reader: SnapshotReader, tables: readonly TableName[], consistentPoint: Lsn): Promise<void> {
    const { builder, window, publisher } = this.context;
    const tx = window.open();
    // Exactly once, a snapshot commits in parts: interrupted, it is taken again whole anyway.
    publisher.allowPartialCommits(tx);
    const position = {
      lsn: consistentPoint,
      commitTimeMicros: BigInt(Date.now()) * 1000n,
      snapshot: 'true' as const,
    };
    const described = [];
    for (const name of tables) described.push(await reader.describe(name));
    for (const table of described) {
      await this.context.tables.describe(table.relation);
      const relationId = table.relation.relationId;
      for await (const chunk of reader.read(table, { chunkSize: this.context.chunkSize })) {
        const schema = this.context.tables.schemaOf(relationId);
        for (const row of chunk.rows) {
          const [event] = builder.read(schema, row, position);
          await this.send(tx, relationId, event!);
        }
        this.context.onEvents(chunk.rows.length);
        const paused = this.context.whilePaused();
        if (paused) await paused;
      }
    }
    if (this.previous) await this.flushPrevious(tx, 'last');
    publisher.close(tx, consistentPoint);
    await publisher.flush();
  }

  private async send(tx: ReturnType<AcknowledgementWindow['open']>, relationId: number, event: ChangeEvent) {
    if (this.previous) await this.flushPrevious(tx, this.first ? 'first' : 'true');
    this.previous = { relationId, event };
  }

  private async flushPrevious(tx: ReturnType<AcknowledgementWindow['open']>, marker: SnapshotMarker) {
    const { relationId, event } = this.previous!;
    this.previous = undefined;
    // A single-row snapshot's only event is both: Debezium marks it `last`.
    if (event.value) event.value.source.snapshot = marker;
    this.first = false;
    await deliver(this.context, relationId, event, tx);
  }
}
