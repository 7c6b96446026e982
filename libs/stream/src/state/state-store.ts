/**
 * One named store of one assigned partition, in memory: the entries committed with the last Kafka
 * transaction, and on top of them the writes of the batch under way (`pending`, a null value
 * deletes). A batch that commits folds its writes in (`commitBatch`); a batch given up drops them
 * (`abortBatch`), so the store always equals what its changelog holds read committed.
 */
export class StateStore {
  private readonly committed = new Map<string, Buffer>();
  private pending = new Map<string, Buffer | null>();

  constructor(readonly name: string) {}

  get size(): number {
    return this.committed.size;
  }

  get(key: string): Buffer | undefined {
    const p = this.pending.get(key);
    if (p !== undefined) return p === null ? undefined : p;
    return this.committed.get(key);
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
    for (const [key, value] of this.committed) if (!this.pending.has(key)) yield [key, value];
    for (const [key, value] of this.pending) if (value !== null) yield [key, value];
  }

  /** A write of the batch under way. */
  stage(key: string, value: Buffer | null): void {
    this.pending.set(key, value);
  }

  /** A changelog record read during restore (already committed). */
  restore(key: string, value: Buffer | null): void {
    if (value === null) this.committed.delete(key);
    else this.committed.set(key, value);
  }

  commitBatch(): void {
    for (const [key, value] of this.pending) {
      if (value === null) this.committed.delete(key);
      else this.committed.set(key, value);
    }
    this.pending = new Map();
  }

  abortBatch(): void {
    this.pending = new Map();
  }

  clear(): void {
    this.committed.clear();
    this.pending = new Map();
  }
}
