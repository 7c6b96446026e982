import type { Lsn } from '../lsn/lsn';

/**
 * One source transaction on its way to Kafka: how many of its events Kafka has not acknowledged yet
 * and, once its commit was read, the WAL position just past it.
 */
export interface PendingTransaction {
  /** Events handed to the publisher and not yet acknowledged by Kafka. */
  readonly outstanding: number;
  /** Set when the transaction's commit was read: confirming this position means "delivered". */
  readonly endLsn: Lsn | undefined;
}

interface Entry {
  outstanding: number;
  endLsn: Lsn | undefined;
}

/**
 * Which WAL position the replication slot may be confirmed to. Transactions are opened in commit
 * order (the order pgoutput sends them); each one is confirmable once its commit was read and Kafka
 * acknowledged every one of its events — and only when every earlier transaction is confirmable
 * too, because confirming an LSN tells Postgres everything before it may be forgotten.
 *
 * Kafka acknowledges batches spanning many transactions, and a table paused by a schema change
 * holds its events back, so acknowledgements arrive out of order; the window turns them into the
 * one monotonic position the slot needs.
 */
export class AcknowledgementWindow {
  private readonly queue: Entry[] = [];
  private head = 0;
  private confirmed: Lsn | undefined;

  /** Starts tracking the next transaction in commit order. */
  open(): PendingTransaction {
    const entry: Entry = { outstanding: 0, endLsn: undefined };
    this.queue.push(entry);
    return entry;
  }

  /** `count` more events of `tx` were handed to the publisher. */
  add(tx: PendingTransaction, count = 1): void {
    (tx as Entry).outstanding += count;
  }

  /** The commit of `tx` was read; no event will be added to it any more. */
  close(tx: PendingTransaction, endLsn: Lsn): Lsn | undefined {
    (tx as Entry).endLsn = endLsn;
    return this.advance();
  }

  /**
   * A position with nothing to deliver (a heartbeat, a transaction of uncaptured tables): it becomes
   * confirmable as soon as everything before it is.
   */
  mark(endLsn: Lsn): Lsn | undefined {
    this.queue.push({ outstanding: 0, endLsn });
    return this.advance();
  }

  /**
   * Kafka acknowledged `count` events of `tx`. Returns the new position to confirm when the
   * confirmable prefix grew, else undefined.
   */
  acknowledge(tx: PendingTransaction, count = 1): Lsn | undefined {
    const entry = tx as Entry;
    if (entry.outstanding < count) {
      throw new Error(`acknowledged ${count} events of a transaction with ${entry.outstanding} outstanding`);
    }
    entry.outstanding -= count;
    return entry.outstanding === 0 ? this.advance() : undefined;
  }

  /**
   * The position that becomes confirmable once Kafka acknowledges `counts` more events (per
   * transaction) and nothing else changes, when that is beyond the one confirmable now; else
   * undefined. The exactly-once publisher sends its offsets record in the batch holding those
   * events, so a commit needs no request of its own.
   */
  confirmableAfter(counts: ReadonlyMap<PendingTransaction, number>): Lsn | undefined {
    let after: Lsn | undefined;
    for (let i = this.head; i < this.queue.length; i++) {
      const entry = this.queue[i]!;
      if (entry.endLsn === undefined || entry.outstanding > (counts.get(entry) ?? 0)) break;
      const floor = after ?? this.confirmed;
      if (floor === undefined || entry.endLsn.isAfter(floor)) after = entry.endLsn;
    }
    return after;
  }

  /** The highest position confirmable so far, if any. */
  get confirmable(): Lsn | undefined {
    return this.confirmed;
  }

  /** Transactions read and not yet confirmable. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  private advance(): Lsn | undefined {
    let moved: Lsn | undefined;
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      if (entry.outstanding > 0 || entry.endLsn === undefined) break;
      if (this.confirmed === undefined || entry.endLsn.isAfter(this.confirmed)) {
        this.confirmed = entry.endLsn;
        moved = entry.endLsn;
      }
      this.head++;
    }
    // Compact now and then so a long-running stream does not keep every entry it ever saw.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return moved;
  }
}
