/**
 * The ids (32-bit xids, as pgoutput's Begin carries them) of the transactions the stream delivered
 * most recently. An incremental-snapshot chunk read while one of them is still in progress to other
 * sessions cannot see it, though its changes are already published: Postgres sends a commit to
 * logical replication once it is flushed, and makes it visible only after that (after a
 * synchronous standby acknowledged it, when there is one). Bounded: the oldest ids are forgotten.
 */
export class StreamedTransactions {
  private readonly ids = new Set<number>();
  private readonly order: number[];
  private next = 0;

  constructor(private readonly capacity = 65_536) {
    this.order = new Array<number>(capacity);
  }

  /** A Begin read from the stream (logical decoding delivers committed transactions only). */
  note(xid: number): void {
    if (this.ids.has(xid)) return;
    const oldest = this.order[this.next];
    if (oldest !== undefined) this.ids.delete(oldest);
    this.order[this.next] = xid;
    this.next = (this.next + 1) % this.capacity;
    this.ids.add(xid);
  }

  /** The first of `xids` the stream delivered, if any. */
  firstOf(xids: readonly number[]): number | undefined {
    return xids.find((xid) => this.ids.has(xid));
  }
}
