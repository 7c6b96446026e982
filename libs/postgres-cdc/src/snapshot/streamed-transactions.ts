/** A snapshot's transactions still in progress: those listed, and every one from `xmax` on. */
export interface InProgressTransactions {
  /** 32-bit xids below `xmax` still in progress (txid_current_snapshot's xip list). */
  readonly listed: readonly number[];
  /** 32-bit: the first xid not yet completed when the snapshot was taken. */
  readonly xmax: number;
}

/** Postgres's TransactionIdPrecedes for normal 32-bit xids: modulo 2^32, half the circle back. */
const precedes = (a: number, b: number): boolean => ((a - b) | 0) < 0;

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
  /** The newest xid delivered (xids are handed out in order): one at or past `xmax` is in progress. */
  private newest: number | undefined;

  constructor(private readonly capacity = 65_536) {
    this.order = new Array<number>(capacity);
  }

  /** A Begin read from the stream (logical decoding delivers committed transactions only). */
  note(xid: number): void {
    if (this.newest === undefined || precedes(this.newest, xid)) this.newest = xid;
    if (this.ids.has(xid)) return;
    const oldest = this.order[this.next];
    if (oldest !== undefined) this.ids.delete(oldest);
    this.order[this.next] = xid;
    this.next = (this.next + 1) % this.capacity;
    this.ids.add(xid);
  }

  /** A delivered transaction the snapshot saw in progress, if any: what it cannot show yet. */
  firstInProgress(snapshot: InProgressTransactions): number | undefined {
    if (this.newest !== undefined && !precedes(this.newest, snapshot.xmax)) return this.newest;
    return snapshot.listed.find((xid) => this.ids.has(xid));
  }
}
