import type { Lsn } from '../lsn/lsn';
import type { ReplicationStreamPosition } from '../replication/replication-stream';

/**
 * Where the source is in the WAL (Debezium's offset context), kept across runs: the position read
 * last and the position confirmed to the slot, before which everything is in Kafka. The slot is
 * the durable store; this is what the process has seen of it, for status and for the next run.
 */
export class SourceOffset {
  private current: Lsn | undefined;
  private confirmed: Lsn | undefined;

  /** Position of the last message read from the slot. */
  get currentLsn(): Lsn | undefined {
    return this.current;
  }

  /** Position confirmed to Postgres. */
  get confirmedLsn(): Lsn | undefined {
    return this.confirmed;
  }

  advanceTo(lsn: Lsn): void {
    this.current = lsn;
  }

  confirm(lsn: Lsn): void {
    this.confirmed = lsn;
  }

  /**
   * Where a run's stream starts: the position this process confirmed last, else the slot's. Returns
   * the confirmed position.
   */
  resumeFrom(slotConfirmed: Lsn | undefined): Lsn | undefined {
    this.confirmed ??= slotConfirmed;
    return this.confirmed;
  }

  /** Server WAL end minus the confirmed position (WAL the slot retains); undefined without a stream. */
  lagBytes(position: ReplicationStreamPosition | undefined): number | undefined {
    if (position === undefined) return undefined;
    const confirmed = this.confirmed;
    return confirmed && position.serverWalEnd.isAfter(confirmed)
      ? Number(position.serverWalEnd.toBigInt() - confirmed.toBigInt())
      : 0;
  }
}
