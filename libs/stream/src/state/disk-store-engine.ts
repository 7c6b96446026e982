import { FatalRecordError } from '@sluice/errors';
import { type Database } from 'lmdb';
import { type StoreEngine } from './store-engine';

/** LMDB's largest key (lmdb-js builds it with 1978 bytes). */
export const MAX_DISK_KEY_BYTES = 1978;

/** A record wrote a key an on-disk store cannot hold: the record is dead-lettered, the batch goes on. */
export class StateKeyTooLongError extends FatalRecordError {
  constructor(store: string, bytes: number) {
    super(
      `state store "${store}" is kept on disk, whose keys hold at most ${MAX_DISK_KEY_BYTES} bytes; this ` +
        `record's key is ${bytes} bytes (a shorter key or groupBy expression, or storage: memory)`,
      { code: 'STATE_KEY_TOO_LONG' },
    );
  }
}

/**
 * A store's committed entries in one LMDB database of its partition's environment (see
 * StateDirectory): memory-mapped, so the entries live in the page cache and on disk rather than on
 * the heap, and a store may outgrow memory. Reads and writes are synchronous; a write is one LMDB
 * transaction, not flushed to disk (the environment is opened with noSync) — the store is rebuilt
 * from its changelog whenever its partition is assigned, so it never has to survive a crash.
 */
export class DiskStoreEngine implements StoreEngine {
  constructor(
    readonly store: string,
    private readonly db: Database<Buffer, Buffer>,
  ) {}

  get size(): number {
    const stats = this.db.getStats() as { entryCount?: number };
    return stats.entryCount ?? this.db.getCount();
  }

  get(key: string): Buffer | undefined {
    return this.db.get(Buffer.from(key, 'utf8'));
  }

  *entries(): IterableIterator<[string, Buffer]> {
    for (const { key, value } of this.db.getRange()) yield [key.toString('utf8'), value];
  }

  write(changes: Iterable<readonly [string, Buffer | null]>): void {
    this.db.transactionSync(() => {
      for (const [key, value] of changes) {
        const bytes = Buffer.from(key, 'utf8');
        // A key LMDB cannot hold is not in it: its delete has nothing to do (and LMDB would throw).
        if (value === null) {
          if (bytes.length > 0 && bytes.length <= MAX_DISK_KEY_BYTES) void this.db.remove(bytes);
        } else void this.db.put(bytes, value);
      }
    });
  }

  clear(): void {
    this.db.clearSync();
  }

  checkKey(key: string): void {
    const bytes = Buffer.byteLength(key, 'utf8');
    if (bytes === 0)
      throw new FatalRecordError(`state store "${this.store}" is kept on disk, which holds no empty key`, {
        code: 'STATE_KEY_EMPTY',
      });
    if (bytes > MAX_DISK_KEY_BYTES) throw new StateKeyTooLongError(this.store, bytes);
  }
}
