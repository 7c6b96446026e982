import { type TopicPartition } from '../delivery/partition-delivery';
import { type ChangelogReader } from './changelog-reader';
import { type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import { changelogRecord, changelogTopicFor } from './changelog-topic';
import { type StoreRestoreProgress } from './key-value-store';
import { RecordState } from './record-state';
import { MemoryStoreEngine } from './memory-store-engine';
import { type DiskPartition, type StateDirectory } from './state-directory';
import { StateStore } from './state-store';
import { type StateStoreDeclaration, storeSpec } from './store-engine';

/**
 * The state stores of one assigned partition, local to the PartitionWorker that owns the
 * partition: made when the partition is assigned here, restored from their changelog topics before
 * its first record runs, dropped when it is revoked (`close`) — so state moves with the partition.
 * A store's committed entries are in memory or, declared `storage: 'disk'`, in an LMDB environment
 * in the runtime's StateDirectory; either way they are rebuilt from the changelog on assignment,
 * which stays the source of truth (a kill -9 loses nothing the changelog does not restore).
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

  private readonly disk: DiskPartition | undefined;

  /** `directory`: where the stores declared `storage: 'disk'` are kept (required when there are any). */
  constructor(
    readonly tp: TopicPartition,
    private readonly group: string,
    stores: readonly StateStoreDeclaration[],
    directory?: StateDirectory,
  ) {
    const specs = stores.map(storeSpec);
    const onDisk = specs.find((s) => s.storage === 'disk');
    if (onDisk && !directory)
      throw new Error(
        `state store "${onDisk.name}" is kept on disk, but the runtime was given no state directory`,
      );
    this.disk = onDisk ? directory!.openPartition(tp) : undefined;
    for (const { name, storage } of specs)
      this.stores.set(
        name,
        new StateStore(name, storage === 'disk' ? this.disk!.engine(name) : new MemoryStoreEngine()),
      );
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
        // Written to the store a fetched slice at a time: one disk transaction per slice, not per record.
        let slice: Array<[string, Buffer | null]> = [];
        const flush = (): void => {
          if (slice.length === 0) return;
          store.restore(slice);
          slice = [];
        };
        await reader.read(
          changelog,
          this.tp.partition,
          range,
          (key, value) => {
            if (key === null) return;
            slice.push([key.toString('utf8'), value]);
            restored += 1;
          },
          signal,
          () => {
            flush();
            report(false);
          },
        );
        flush();
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

  /** The partition left this instance (revoked, or the runtime stopped): its on-disk stores are deleted. */
  async close(): Promise<void> {
    this.abortBatch();
    this.restored = false;
    await this.disk?.destroy();
  }

  restoreProgress(): StoreRestoreProgress[] {
    return [...this.progress.values()];
  }

  /** Entries per store (committed), for status. */
  sizes(): Record<string, number> {
    return Object.fromEntries([...this.stores].map(([name, s]) => [name, s.size]));
  }
}
