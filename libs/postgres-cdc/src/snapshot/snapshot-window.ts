import type { PgOutputMessage, Relation, TupleValue } from '../pgoutput/pgoutput-message';
import { WATERMARK_PREFIX, type WatermarkedChunk } from './watermarked-chunk-reader';
import type { SnapshotRow } from './snapshot-reader';

/** A watermark message read back from the stream. */
export interface Watermark {
  readonly windowId: string;
  /** `low`: earlier versions wrote one before each chunk's SELECT; read and ignored. */
  readonly edge: 'low' | 'high';
}

/** The watermark a logical message carries, or undefined for any other message. */
export function readWatermark(message: PgOutputMessage): Watermark | undefined {
  if (message.type !== 'message' || message.prefix !== WATERMARK_PREFIX) return undefined;
  try {
    const parsed = JSON.parse(message.content.toString('utf8')) as Partial<Watermark>;
    if (typeof parsed.windowId === 'string' && (parsed.edge === 'low' || parsed.edge === 'high')) {
      return { windowId: parsed.windowId, edge: parsed.edge };
    }
  } catch {
    // Not ours: someone else used the prefix. Ignore, as Debezium ignores foreign signals.
  }
  return undefined;
}

/**
 * The deduplication window of one incremental-snapshot chunk (DBLog): from the chunk's read to its
 * high watermark on the stream, every streamed change of the chunk's table removes the chunk rows
 * of the keys it touches (the change is as new as the row or newer); at the high watermark the
 * rows left are emitted as snapshot reads. Pure: the source feeds it the stream's messages in order.
 *
 * The window opens where the stream stood when the chunk was read (the source reads a chunk while
 * its stream waits), not at a low watermark written before the SELECT: a commit's WAL record can
 * precede such a watermark while the commit is not yet visible to the SELECT (Postgres makes a
 * commit visible only after its record is flushed), and a read of the older row emitted after that
 * streamed change would put the key back in time. Dropping a row for a change the SELECT did see is
 * harmless: that change's event carries the same row and is published before the high watermark.
 */
export class SnapshotWindow {
  private readonly pending = new Map<string, SnapshotRow>();
  private readonly keyIndexes: readonly number[];
  /** Where the key columns are in each shape the stream's tuples come in (see `keyIndexesIn`). */
  private readonly keyIndexesByShape = new WeakMap<Relation, readonly number[]>();
  private closed = false;

  constructor(readonly chunk: WatermarkedChunk) {
    this.keyIndexes = chunk.table.pageKey.map((c) => c.index);
    for (const row of chunk.rows) this.pending.set(this.keyOf(row), row);
  }

  /** Rows still to emit at the high watermark. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Feeds one streamed message. Returns the rows to emit when it is this window's high watermark
   * (emit them right there, before the next streamed message), otherwise undefined. `keepsRows`: a
   * change that drops no row (one that becomes no event, of a transaction the read saw completed).
   */
  observe(message: PgOutputMessage, keepsRows = false): readonly SnapshotRow[] | undefined {
    const watermark = readWatermark(message);
    if (watermark !== undefined) {
      if (watermark.windowId !== this.chunk.windowId || watermark.edge !== 'high' || this.closed)
        return undefined;
      this.closed = true;
      return [...this.pending.values()];
    }
    if (this.closed || keepsRows) return undefined;
    const relationId = this.chunk.table.relation.relationId;
    switch (message.type) {
      case 'insert':
        if (message.relation.relationId === relationId)
          this.pending.delete(this.keyOf(message.newValues, message.relation));
        break;
      case 'update':
        if (message.relation.relationId === relationId) {
          this.pending.delete(this.keyOf(message.newValues, message.relation));
          if (message.oldValues !== null)
            this.pending.delete(this.keyOf(message.oldValues, message.relation));
        }
        break;
      case 'delete':
        if (message.relation.relationId === relationId)
          this.pending.delete(this.keyOf(message.oldValues, message.relation));
        break;
      case 'truncate':
        if (message.relations.some((r) => r.relationId === relationId)) this.pending.clear();
        break;
      default:
        break;
    }
    return undefined;
  }

  /** `shape`: the relation a streamed tuple was decoded with; the chunk's rows have the chunk's. */
  private keyOf(values: readonly TupleValue[], shape?: Relation): string {
    const indexes = shape === undefined ? this.keyIndexes : this.keyIndexesIn(shape);
    return JSON.stringify(indexes.map((i) => values[i]));
  }

  /**
   * The key columns' positions in `shape`. A window opens where the stream stands, which may be
   * behind the table: its tuples can have the shape of before a column was dropped (a dropped
   * column leaves pgoutput's tuples, moving those after it), so a key is found by its columns'
   * names. A name the shape lacks (a key column renamed since) keeps the chunk's positions.
   */
  private keyIndexesIn(shape: Relation): readonly number[] {
    let indexes = this.keyIndexesByShape.get(shape);
    if (indexes === undefined) {
      const byName = this.chunk.table.pageKey.map((k) => shape.columns.findIndex((c) => c.name === k.name));
      indexes = byName.includes(-1) ? this.keyIndexes : byName;
      this.keyIndexesByShape.set(shape, indexes);
    }
    return indexes;
  }
}
