/** A snapshot's transactions still in progress: those listed, and every one from `xmax` on. */
export interface InProgressTransactions {
  /** 32-bit xids below `xmax` still in progress (txid_current_snapshot's xip list). */
  readonly listed: readonly number[];
  /** 32-bit: the first xid not yet completed when the snapshot was taken. */
  readonly xmax: number;
}

/** Postgres's TransactionIdPrecedes for normal 32-bit xids: modulo 2^32, half the circle back. */
const precedes = (a: number, b: number): boolean => ((a - b) | 0) < 0;

/** Whether transaction `xid` had completed when `snapshot` was taken (its effects visible to it). */
export function completedIn(snapshot: InProgressTransactions, xid: number): boolean {
  return precedes(xid, snapshot.xmax) && !snapshot.listed.includes(xid);
}

/** A delivered transaction noted this long ago no longer counts as the newest (xids wrap at 2^32). */
const NEWEST_MAX_AGE_MS = 60 * 60_000;

/**
 * The ids (32-bit xids, as pgoutput's Begin carries them) of the transactions the stream delivered
 * since a chunk read last saw them all. A chunk read while one of them is still in progress to other
 * sessions cannot see it, though its changes are already published: Postgres sends a commit to
 * logical replication once it is flushed, and makes it visible only after that (after a
 * synchronous standby acknowledged it, when there is one). Bounded: the oldest ids are forgotten.
 */
export class StreamedTransactions {
  private readonly ids = new Set<number>();
  private readonly order: Array<number | undefined>;
  private next = 0;
  /** The newest xid delivered (xids are handed out in order): one at or past `xmax` is in progress. */
  private newest: { readonly xid: number; readonly at: number } | undefined;
  /** The transaction the stream is inside (Begin read, Commit not yet). */
  private inside: number | undefined;

  constructor(
    private readonly capacity = 65_536,
    private readonly now: () => number = Date.now,
  ) {
    this.order = new Array<number | undefined>(capacity);
  }

  /** The transaction the stream is inside, if any. */
  get current(): number | undefined {
    return this.inside;
  }

  /** A Begin read from the stream (logical decoding delivers committed transactions only). */
  begin(xid: number): void {
    this.inside = xid;
    if (this.newest === undefined || precedes(this.newest.xid, xid)) this.newest = { xid, at: this.now() };
    if (this.ids.has(xid)) return;
    const oldest = this.order[this.next];
    if (oldest !== undefined) this.ids.delete(oldest);
    this.order[this.next] = xid;
    this.next = (this.next + 1) % this.capacity;
    this.ids.add(xid);
  }

  /** The Commit of the transaction the stream was inside. */
  end(): void {
    this.inside = undefined;
  }

  /**
   * A delivered transaction `snapshot` saw in progress, if any: what a read under it cannot show
   * yet. Never the transaction the stream is inside: the source acknowledges it only after this
   * read, and when the source's own slot is a synchronous standby that commit waits for it.
   */
  firstInProgress(snapshot: InProgressTransactions): number | undefined {
    const newest = this.newest;
    if (
      newest !== undefined &&
      newest.xid !== this.inside &&
      this.now() - newest.at < NEWEST_MAX_AGE_MS &&
      !precedes(newest.xid, snapshot.xmax)
    )
      return newest.xid;
    return snapshot.listed.find((xid) => xid !== this.inside && this.ids.has(xid));
  }

  /** A read saw every delivered transaction completed: they stay visible, none needs remembering. */
  forgetSeen(): void {
    this.ids.clear();
    this.order.fill(undefined);
    this.next = 0;
    this.newest = undefined;
  }
}
