import { isUtf8 } from 'node:buffer';
import { EnvironmentError } from '@sluice/errors';
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

/** A changelog record as a follower reads it (kafkajs's message fields). */
export interface ChangelogEntry {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly offset: string;
}

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

  /**
   * Per store, the changelog offset a warm copy (standby) has applied up to: the next restore
   * reads from there instead of from the beginning. Empty for a copy made at assignment.
   */
  private readonly followed = new Map<string, bigint>();

  /**
   * `directory`: where the stores declared `storage: 'disk'` are kept (required when there are any);
   * `standby`: a warm copy of a partition another member owns (StandbyStates).
   */
  constructor(
    readonly tp: TopicPartition,
    private readonly group: string,
    stores: readonly StateStoreDeclaration[],
    directory?: StateDirectory,
    standby = false,
  ) {
    const specs = stores.map(storeSpec);
    const onDisk = specs.find((s) => s.storage === 'disk');
    if (onDisk && !directory)
      throw new Error(
        `state store "${onDisk.name}" is kept on disk, but the runtime was given no state directory`,
      );
    this.disk = onDisk ? directory!.openPartition(tp, standby) : undefined;
    for (const { name, storage } of specs)
      this.stores.set(
        name,
        new StateStore(name, storage === 'disk' ? this.disk!.engine(name) : new MemoryStoreEngine()),
      );
  }

  get needsRestore(): boolean {
    return !this.restored;
  }

  /**
   * Reads each store's changelog partition to its end (call once the partition's producer is
   * initialised) — from its beginning, or for a warm copy from where it stood (a catch-up).
   */
  async restore(reader: ChangelogReader, signal: AbortSignal): Promise<void> {
    const warm = new Map(this.followed);
    this.followed.clear();
    for (const store of this.stores.values()) if (!warm.has(store.name)) store.clear();
    await Promise.all(
      [...this.stores.values()].map(async (store) => {
        const changelog = changelogTopicFor(this.group, store.name);
        const started = Date.now();
        const range = await reader.range(changelog, this.tp.partition, warm.get(store.name));
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
          (key, value, offset) => {
            slice.push([
              storedKey(store, key, value, `changelog ${changelog}[${this.tp.partition}] offset ${offset}`),
              value,
            ]);
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

  /**
   * A warm copy follows its changelog: `changes` are the committed records of `store` read up to
   * `next` (exclusive), applied in order.
   */
  follow(store: string, records: readonly ChangelogEntry[], next: bigint): void {
    const target = this.stores.get(store);
    if (!target) return;
    // Checked as a restore checks them: a copy holding another key than the store wrote would
    // become the active state when its partition comes here (only the tail is read then).
    const changelog = changelogTopicFor(this.group, store);
    const changes = records.map(({ key, value, offset }): [string, Buffer | null] => [
      storedKey(target, key, value, `changelog ${changelog}[${this.tp.partition}] offset ${offset}`),
      value,
    ]);
    if (changes.length > 0) target.restore(changes);
    // Where the follower stands, exactly (after a seek back to the beginning it is lower again).
    this.followed.set(store, next);
  }

  /** Changelog offsets a warm copy has applied up to, per store. */
  followedTo(): ReadonlyMap<string, bigint> {
    return this.followed;
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
    this.followed.clear();
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

/**
 * A changelog record's key as its store holds it. A record the store could not have written (no
 * key, a key that is not UTF-8, one the store cannot hold) was written by someone else: the restore
 * fails naming it, for good (the same record would meet every restart), rather than restore
 * something else than the store had.
 */
function storedKey(store: StateStore, key: Buffer | null, value: Buffer | null, where: string): string {
  try {
    if (key === null) throw new Error('it has no key');
    if (!isUtf8(key)) throw new Error('its key is not UTF-8');
    const text = key.toString('utf8');
    if (value !== null) store.checkKey(text);
    return text;
  } catch (error) {
    throw new EnvironmentError(
      `${where} is not a record of state store "${store.name}" (${(error as Error).message}): ` +
        'delete it from the changelog (a tombstone for its key) or reset the store, and restart',
      { cause: error, code: 'STATE_CHANGELOG_INVALID' },
    );
  }
}
