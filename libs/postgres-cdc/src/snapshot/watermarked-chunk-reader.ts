import { randomUUID } from 'node:crypto';
import { EnvironmentError } from '@sluice/errors';
import { Lsn } from '../lsn/lsn';
import type { PostgresSession } from '../replication/postgres-session';
import { qualifiedName, quotedName } from '../replication/table-name';
import type { SnapshotRow } from './snapshot-reader';
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
  readonly lowWatermark: Lsn;
  readonly highWatermark: Lsn;
}

/**
 * One chunk of an incremental snapshot, DBLog style (as Debezium's incremental snapshots): write a
 * low watermark to the WAL, SELECT the chunk, write a high watermark. The source holds the chunk
 * until the high watermark arrives on the stream, drops every chunk row whose key changed between
 * the two watermarks (the streamed event is as new or newer) and emits the rest there, so no key's
 * events are ever reordered. Runs on an ordinary connection in autocommit: the SELECT sees what
 * committed before it, which lies before the high watermark.
 */
export class WatermarkedChunkReader {
  constructor(private readonly session: PostgresSession) {}

  async readChunk(
    table: SnapshotTable,
    afterKey: readonly (string | null)[] | undefined,
    chunkSize: number,
  ): Promise<WatermarkedChunk> {
    const name = { schema: table.relation.schema, table: table.relation.table };
    const query = new ChunkQuery(table, quotedName(name));
    if (query.byCtid) {
      // Without a snapshot pinning it, a row's ctid moves on update: a key is the only stable order.
      throw new EnvironmentError(
        `Table ${qualifiedName(name)} has no primary key or replica identity index, which an incremental snapshot pages by`,
        { code: 'PG_TABLE_WITHOUT_KEY' },
      );
    }
    const windowId = randomUUID();
    const lowWatermark = await this.watermark(windowId, 'low');
    const rows = await this.session.queryArrays(
      afterKey === undefined ? query.first : query.next,
      afterKey === undefined ? [chunkSize] : [...afterKey, chunkSize],
      `Reading an incremental snapshot chunk of ${qualifiedName(name)}`,
    );
    const highWatermark = await this.watermark(windowId, 'high');
    const lastKey = rows.length > 0 ? query.keyOf(rows[rows.length - 1]) : undefined;
    return { windowId, table, rows, lastKey, lowWatermark, highWatermark };
  }

  private async watermark(windowId: string, edge: 'low' | 'high'): Promise<Lsn> {
    const [row] = await this.session.query<{ lsn: string }>(
      'SELECT pg_logical_emit_message(false, $1, $2)::text AS lsn',
      [WATERMARK_PREFIX, JSON.stringify({ windowId, edge })],
      `Writing the ${edge} watermark of snapshot window ${windowId}`,
    );
    return Lsn.parse(row.lsn);
  }
}
