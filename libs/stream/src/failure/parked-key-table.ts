import { keyIdentity } from '../ordering/record-key';
import { type TopicPartition } from '../delivery/partition-delivery';
import { type ParkedKeyEntry } from './parked-key-record';

interface Waiter {
  readonly offset: bigint;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The state of the parked-key topic as read so far, one view per partition of that topic (= the
 * source partition number): the latest marker per source key wins, a release removes the key.
 * `readTo` tells how far each partition was read, so a new owner waits until the log is read up
 * to the end offset it saw on assignment before it trusts the view. Pure: the Kafka reading is in
 * ParkedKeyLog.
 */
export class ParkedKeyTable {
  private readonly byPartition = new Map<
    number,
    Map<string, { tp: TopicPartition; key: Buffer; failedOffset: bigint }>
  >();
  private readonly position = new Map<number, bigint>();
  private readonly waiters = new Map<number, Waiter[]>();
  private broken: { readonly error: unknown } | undefined;

  apply(entry: ParkedKeyEntry): void {
    const id = `${entry.tp.topic}\u0000${keyIdentity(entry.key)}`;
    let keys = this.byPartition.get(entry.tp.partition);
    if (entry.failedOffset === null) {
      keys?.delete(id);
      return;
    }
    if (!keys) this.byPartition.set(entry.tp.partition, (keys = new Map()));
    keys.set(id, { tp: entry.tp, key: entry.key, failedOffset: entry.failedOffset });
  }

  /** The log partition was read up to (excluding) `nextOffset`. */
  readTo(partition: number, nextOffset: bigint): void {
    if (nextOffset <= (this.position.get(partition) ?? 0n)) return;
    this.position.set(partition, nextOffset);
    const waiting = this.waiters.get(partition);
    if (!waiting) return;
    const still = waiting.filter((w) => {
      if (w.offset > nextOffset) return true;
      w.resolve();
      return false;
    });
    if (still.length > 0) this.waiters.set(partition, still);
    else this.waiters.delete(partition);
  }

  /** The log can no longer be read: every waiter, now and later, gets `error`. */
  fail(error: unknown): void {
    this.broken ??= { error };
    for (const list of this.waiters.values()) for (const w of list) w.reject(this.broken.error);
    this.waiters.clear();
  }

  /** Resolves once the log partition was read up to `endOffset`; rejects when `signal` fires first. */
  caughtUp(partition: number, endOffset: bigint, signal: AbortSignal): Promise<void> {
    if (this.broken) return Promise.reject(this.broken.error);
    if ((this.position.get(partition) ?? 0n) >= endOffset) return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const list = this.waiters.get(partition) ?? [];
        this.waiters.set(
          partition,
          list.filter((w) => w !== waiter),
        );
        reject(signal.reason);
      };
      const waiter: Waiter = {
        offset: endOffset,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const list = this.waiters.get(partition);
      if (list) list.push(waiter);
      else this.waiters.set(partition, [waiter]);
    });
  }

  /** The keys of source partition `tp` parked now, with the failed offset each waits behind. */
  parkedIn(tp: TopicPartition): Array<{ key: Buffer; failedOffset: bigint }> {
    const keys = this.byPartition.get(tp.partition);
    if (!keys) return [];
    return [...keys.values()]
      .filter((e) => e.tp.topic === tp.topic)
      .map(({ key, failedOffset }) => ({ key, failedOffset }));
  }
}
