/**
 * Tracks, for one partition, which consumed offsets are still being processed and which position is
 * safe to commit. The committable offset is the *next* offset to consume, as Kafka's OffsetCommit and
 * kafkajs's `sendOffsets` want it: the lowest offset started and not yet finished, or — when nothing
 * is in flight — one past the highest offset seen.
 *
 * Offsets of a partition are not contiguous (compacted topics, transaction markers, aborted
 * transactions under read_committed), so the tracker never assumes `offset + 1` exists: it only
 * compares offsets that were actually started. `skipTo` records that the fetch went past the last
 * record (a batch ending in control records), so the commit does not make the group re-read them.
 *
 * The committable offset never moves backwards. Starts must come in increasing offset order (records
 * of one partition arrive in order); anything else is a programmer error and throws.
 */
export class OffsetTracker {
  /** Started offsets in start order; entries before `head` are finished and dropped. */
  private started: bigint[] = [];
  private head = 0;
  private readonly finishedAhead = new Set<bigint>();
  private readonly unfinished = new Set<bigint>();
  private lastStarted: bigint | undefined;
  private floor: bigint | undefined;

  /** @param initial the group's committed position at assignment (next offset to consume), if known. */
  constructor(initial?: bigint) {
    this.floor = initial;
  }

  /** Records that processing of `offset` began. Offsets must increase and stay at or above the floor. */
  start(offset: bigint): void {
    if (this.lastStarted !== undefined && offset <= this.lastStarted) {
      throw new RangeError(`offset ${offset} started after ${this.lastStarted}: offsets must increase`);
    }
    if (this.floor !== undefined && offset < this.floor) {
      throw new RangeError(`offset ${offset} is below the committable position ${this.floor}`);
    }
    this.lastStarted = offset;
    this.started.push(offset);
    this.unfinished.add(offset);
  }

  /** Records that processing of `offset` is over (done, dead-lettered or parked — not failed). */
  finish(offset: bigint): void {
    if (!this.unfinished.delete(offset)) {
      throw new RangeError(`offset ${offset} finished but was not started (or finished twice)`);
    }
    this.finishedAhead.add(offset);
    this.advance();
  }

  /**
   * Records that the partition was read up to `nextOffset` (exclusive) even if no record there was
   * started, e.g. a fetched batch whose last offset is a transaction marker.
   */
  skipTo(nextOffset: bigint): void {
    if (this.lastStarted !== undefined && nextOffset <= this.lastStarted) return;
    if (this.floor === undefined || nextOffset > this.floor) this.floor = nextOffset;
  }

  /** The next offset to consume that is safe to commit, or undefined when nothing is known yet. */
  committable(): bigint | undefined {
    // The head of `started` is always unfinished: `advance` drops finished heads.
    return this.head < this.started.length ? this.started[this.head] : this.floor;
  }

  /** How many started offsets are not finished yet. */
  get inFlight(): number {
    return this.unfinished.size;
  }

  private advance(): void {
    while (this.head < this.started.length && this.finishedAhead.has(this.started[this.head])) {
      const offset = this.started[this.head];
      this.finishedAhead.delete(offset);
      this.head += 1;
      const next = offset + 1n;
      if (this.floor === undefined || next > this.floor) this.floor = next;
    }
    if (this.head > 1024 && this.head * 2 > this.started.length) {
      this.started = this.started.slice(this.head);
      this.head = 0;
    }
  }
}
