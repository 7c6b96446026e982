import { type StoreEngine } from './store-engine';

/** A store's committed entries in a Map: fast, bounded by the process's memory. */
export class MemoryStoreEngine implements StoreEngine {
  private readonly map = new Map<string, Buffer>();

  get size(): number {
    return this.map.size;
  }

  get(key: string): Buffer | undefined {
    return this.map.get(key);
  }

  entries(): IterableIterator<[string, Buffer]> {
    return this.map.entries();
  }

  write(changes: Iterable<readonly [string, Buffer | null]>): void {
    for (const [key, value] of changes) {
      if (value === null) this.map.delete(key);
      else this.map.set(key, value);
    }
  }

  clear(): void {
    this.map.clear();
  }

  checkKey(): void {}
}
