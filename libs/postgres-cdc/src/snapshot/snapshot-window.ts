import type { PgOutputMessage, TupleValue } from '../pgoutput/pgoutput-message';
import { WATERMARK_PREFIX, type WatermarkedChunk } from './watermarked-chunk-reader';
import type { SnapshotRow } from './snapshot-reader';

/** A watermark message read back from the stream. */
export interface Watermark {
  readonly windowId: string;
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
 * The deduplication window of one incremental-snapshot chunk (DBLog): between its low and high
 * watermark on the stream, every streamed change of the chunk's table removes the chunk rows of
 * the keys it touches (the change is as new as the row or newer); at the high watermark the rows
 * left are emitted as snapshot reads. Pure: the source feeds it the stream's messages in order.
 */
export class SnapshotWindow {
  private readonly pending = new Map<string, SnapshotRow>();
  private readonly keyIndexes: readonly number[];
  private state: 'waiting' | 'open' | 'closed' = 'waiting';

  constructor(readonly chunk: WatermarkedChunk) {
    this.keyIndexes = chunk.table.pageKey.map((c) => c.index);
    for (const row of chunk.rows) this.pending.set(this.keyOf(row), row);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Rows still to emit at the high watermark. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Feeds one streamed message. Returns the rows to emit when it is this window's high watermark
   * (emit them right there, before the next streamed message), otherwise undefined.
   */
  observe(message: PgOutputMessage): readonly SnapshotRow[] | undefined {
    const watermark = readWatermark(message);
    if (watermark !== undefined) {
      if (watermark.windowId !== this.chunk.windowId) return undefined;
      if (watermark.edge === 'low' && this.state === 'waiting') this.state = 'open';
      else if (watermark.edge === 'high' && this.state === 'open') {
        this.state = 'closed';
        return [...this.pending.values()];
      }
      return undefined;
    }
    if (this.state !== 'open') return undefined;
    const relationId = this.chunk.table.relation.relationId;
    switch (message.type) {
      case 'insert':
        if (message.relation.relationId === relationId) this.pending.delete(this.keyOf(message.newValues));
        break;
      case 'update':
        if (message.relation.relationId === relationId) {
          this.pending.delete(this.keyOf(message.newValues));
          if (message.oldValues !== null) this.pending.delete(this.keyOf(message.oldValues));
        }
        break;
      case 'delete':
        if (message.relation.relationId === relationId) this.pending.delete(this.keyOf(message.oldValues));
        break;
      case 'truncate':
        if (message.relations.some((r) => r.relationId === relationId)) this.pending.clear();
        break;
      default:
        break;
    }
    return undefined;
  }

  private keyOf(values: readonly TupleValue[]): string {
    return JSON.stringify(this.keyIndexes.map((i) => values[i]));
  }
}
