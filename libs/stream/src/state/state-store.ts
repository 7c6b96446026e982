import { type StoreEngine } from './store-engine';

/**
 * One named store of one assigned partition: the entries committed with the last Kafka transaction
 * (its engine: in memory or on disk), and on top of them the writes of the batch under way
 * (`pending`, in memory, a null value deletes). A batch that commits writes its pending entries
 * to the engine as one unit (`commitBatch`); a batch given up drops them (`abortBatch`), so the
 * engine always equals what the changelog holds read committed.
 */
export class StateStore {
  private pending = new Map<string, Buffer | null>();

  constructor(
    readonly name: string,
    private readonly engine: StoreEngine,
  ) {}

  /** Committed entries. */
  get size(): number {
    return this.engine.size;
  }

  get(key: string): Buffer | undefined {
    const p = this.pending.get(key);
    if (p !== undefined) return p === null ? undefined : p;
    return this.engine.get(key);
  }

  /** The batch's view of whether `key` was written in it (null: deleted). */
  pendingValue(key: string): Buffer | null | undefined {
    return this.pending.get(key);
  }

  /** The batch's writes, the last per key (what its changelog records at the commit). */
  pendingWrites(): IterableIterator<[string, Buffer | null]> {
    return this.pending.entries();
  }

  *entries(): IterableIterator<[string, Buffer]> {
    for (const [key, value] of this.engine.entries()) if (!this.pending.has(key)) yield [key, value];
    for (const [key, value] of this.pending) if (value !== null) yield [key, value];
  }

  /** Throws when the engine cannot hold `key` (checked at the record's write). */
  checkKey(key: string): void {
    this.engine.checkKey(key);
  }

  /** A write of the batch under way. */
  stage(key: string, value: Buffer | null): void {
    this.pending.set(key, value);
  }

  /** Changelog records read during restore (already committed), in offset order. */
  restore(changes: Iterable<readonly [string, Buffer | null]>): void {
    this.engine.write(changes);
  }

  commitBatch(): void {
    if (this.pending.size > 0) this.engine.write(this.pending);
    this.pending = new Map();
  }

  abortBatch(): void {
    this.pending = new Map();
  }

  clear(): void {
    this.engine.clear();
    this.pending = new Map();
  }
}
