import { randomUUID } from 'node:crypto';
import { EnvironmentError } from '@sluice/errors';
import { Lsn } from '../lsn/lsn';
import type { PostgresSession } from '../replication/postgres-session';
import { qualifiedName, quotedName } from '../replication/table-name';
import type { SnapshotRow } from './snapshot-reader';
import type { InProgressTransactions, StreamedTransactions } from './streamed-transactions';
import { ChunkQuery, type SnapshotTable } from './table-description';

/** Prefix of the watermark messages in the WAL (pg_logical_emit_message). */
export const WATERMARK_PREFIX = 'sluice.watermark';

export interface WatermarkedChunk {
  /** Identifies the window's two watermark messages in the stream. */
  readonly windowId: string;
  readonly table: SnapshotTable;
  readonly rows: readonly SnapshotRow[];
  /** Paging key of the last row; undefined when the table has no rows after `afterKey`. */
  readonly lastKey: readonly (string | null)[] | undefined;
  readonly highWatermark: Lsn;
  /** In progress to a snapshot taken just before the SELECT: what else completed, it saw. */
  readonly readAfter?: InProgressTransactions;
}

/** A read refused: `xid` was in progress to it, though the stream already delivered it. */
export interface StaleChunkRead {
  readonly waitingFor: number;
}

/**
 * One chunk of an incremental snapshot, DBLog style (as Debezium's incremental snapshots): SELECT
 * the chunk, then write a high watermark to the WAL. The source reads it while its stream waits,
 * holds the chunk until the high watermark arrives on the stream, drops every chunk row whose key
 * changed in between (the streamed event is as new or newer; see `SnapshotWindow`) and emits the
 * rest there, so no key's events are ever reordered. Runs on an ordinary connection in autocommit:
 * the SELECT sees only what committed before it, which lies before the high watermark.
 */
export class WatermarkedChunkReader {
  constructor(private readonly session: PostgresSession) {}

  /**
   * Reads the chunk after `afterKey`, or refuses the read (to be tried again) when a transaction the
   * stream already delivered (`streamed`) was not yet visible to it: its rows may be older than
   * that transaction's published changes, which come before the window and would not drop them.
   */
  async readChunk(
    table: SnapshotTable,
    afterKey: readonly (string | null)[] | undefined,
    chunkSize: number,
  ): Promise<WatermarkedChunk>;
  async readChunk(
    table: SnapshotTable,
    afterKey: readonly (string | null)[] | undefined,
    chunkSize: number,
    streamed: StreamedTransactions,
  ): Promise<WatermarkedChunk | StaleChunkRead>;
  async readChunk(
    table: SnapshotTable,
    afterKey: readonly (string | null)[] | undefined,
    chunkSize: number,
    streamed?: StreamedTransactions,
  ): Promise<WatermarkedChunk | StaleChunkRead> {
    const name = { schema: table.relation.schema, table: table.relation.table };
    const query = new ChunkQuery(table, quotedName(name));
    if (query.byCtid) {
      // Without a snapshot pinning it, a row's ctid moves on update: a key is the only stable order.
      throw new EnvironmentError(
        `Table ${qualifiedName(name)} has no primary key or replica identity index, which an incremental snapshot pages by`,
        { code: 'PG_TABLE_WITHOUT_KEY' },
      );
    }
    // Taken just before the SELECT's own snapshot: whatever that one cannot see, this one could not.
    const inProgress = streamed === undefined ? undefined : await this.transactionsInProgress();
    const waitingFor = inProgress && streamed?.firstInProgress(inProgress);
    if (waitingFor !== undefined) return { waitingFor };
    const rows = await this.session.queryArrays(
      afterKey === undefined ? query.first : query.next,
      afterKey === undefined ? [chunkSize] : [...afterKey, chunkSize],
      `Reading an incremental snapshot chunk of ${qualifiedName(name)}`,
    );
    const windowId = randomUUID();
    const highWatermark = await this.writeHighWatermark(windowId);
    const lastKey = rows.length > 0 ? query.keyOf(rows[rows.length - 1]) : undefined;
    return { windowId, table, rows, lastKey, highWatermark, ...(inProgress && { readAfter: inProgress }) };
  }

  /** The transactions in progress to a snapshot taken now (txid_current_snapshot: every version). */
  private async transactionsInProgress(): Promise<InProgressTransactions> {
    const [row] = await this.session.query<{ snapshot: string }>(
      'SELECT txid_current_snapshot()::text AS snapshot',
      [],
      'Reading the transactions in progress before an incremental snapshot chunk',
    );
    // xmin:xmax:xip,… of 64-bit (epoch-extended) ids; pgoutput carries the low 32 bits.
    const [, xmax, xip = ''] = row.snapshot.split(':');
    const xid32 = (id: string) => Number(BigInt(id) & 0xffff_ffffn);
    return { xmax: xid32(xmax), listed: xip === '' ? [] : xip.split(',').map(xid32) };
  }

  private async writeHighWatermark(windowId: string): Promise<Lsn> {
    const [row] = await this.session.query<{ lsn: string }>(
      'SELECT pg_logical_emit_message(false, $1, $2)::text AS lsn',
      [WATERMARK_PREFIX, JSON.stringify({ windowId, edge: 'high' })],
      `Writing the high watermark of snapshot window ${windowId}`,
    );
    return Lsn.parse(row.lsn);
  }
}
