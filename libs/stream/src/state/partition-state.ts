import { type TopicPartition } from '../delivery/partition-delivery';
import { type ChangelogReader } from './changelog-reader';
import { type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import { changelogRecord, changelogTopicFor } from './changelog-topic';
import { type StoreRestoreProgress } from './key-value-store';
import { RecordState } from './record-state';
import { StateStore } from './state-store';

/**
 * The state stores of one assigned partition (in memory), local to the PartitionWorker that owns
 * the partition: made when the partition is assigned here, restored from their changelog topics
 * before its first record runs, dropped when it is revoked — so state moves with the partition.
 *
 * Batch discipline (exactly-once): each record's writes are staged for the batch once the record
 * succeeded. Before the batch commits, `batchChangelog` gives the changelog records of the last
 * write per key of every store, which join the partition's Kafka transaction: a key written by
 * every record (an aggregate's stream time) costs one changelog record per batch, not one per
 * record, as Kafka Streams' cached stores do. `commitBatch` after the transaction committed,
 * `abortBatch` when it was given up; a restore is asked again (`invalidate`) after a commit whose
 * outcome is unknown.
 */
export class PartitionState {
  private readonly stores = new Map<string, StateStore>();
  private restored = false;
  private readonly progress = new Map<string, StoreRestoreProgress>();

  constructor(
    readonly tp: TopicPartition,
    private readonly group: string,
    storeNames: readonly string[],
  ) {
    for (const name of storeNames) this.stores.set(name, new StateStore(name));
  }

  get needsRestore(): boolean {
    return !this.restored;
  }

  /** Reads each store's changelog partition to its end (call once the partition's producer is initialised). */
  async restore(reader: ChangelogReader, signal: AbortSignal): Promise<void> {
    for (const store of this.stores.values()) store.clear();
    await Promise.all(
      [...this.stores.values()].map(async (store) => {
        const changelog = changelogTopicFor(this.group, store.name);
        const started = Date.now();
        const range = await reader.range(changelog, this.tp.partition);
        const total = Number(range.to - range.from);
        let restored = 0;
        const report = (done: boolean): void =>
          void this.progress.set(store.name, {
            store: store.name,
            changelog,
            partition: this.tp.partition,
            restoredRecords: restored,
            totalRecords: total,
            done,
            ...(done ? { durationMs: Date.now() - started } : {}),
          });
        report(false);
        await reader.read(
          changelog,
          this.tp.partition,
          range,
          (key, value) => {
            if (key === null) return;
            store.restore(key.toString('utf8'), value);
            restored += 1;
          },
          signal,
          () => report(false),
        );
        report(true);
      }),
    );
    this.restored = true;
  }

  /** The stores as a new attempt at a record sees them. */
  beginRecord(): RecordState {
    return new RecordState(this.stores);
  }

  /** The changelog records of the batch's writes: the last write per key of each store. */
  batchChangelog(): DeadLetterRecord[] {
    const out: DeadLetterRecord[] = [];
    for (const store of this.stores.values())
      for (const [key, value] of store.pendingWrites())
        out.push(changelogRecord(this.group, { store: store.name, key, value }));
    return out;
  }

  commitBatch(): void {
    for (const store of this.stores.values()) store.commitBatch();
  }

  abortBatch(): void {
    for (const store of this.stores.values()) store.abortBatch();
  }

  /** The committed state may differ from the changelog (a commit's outcome is unknown): restore again. */
  invalidate(): void {
    this.abortBatch();
    this.restored = false;
  }

  restoreProgress(): StoreRestoreProgress[] {
    return [...this.progress.values()];
  }

  /** Entries per store (committed), for status. */
  sizes(): Record<string, number> {
    return Object.fromEntries([...this.stores].map(([name, s]) => [name, s.size]));
  }
}
