/**
 * A bounded in-memory map for immutable values (schemas by global id). When full, the entry
 * used least recently goes. Safe across replicas because what it holds never changes.
 */
export class SchemaCache<V> {
  private readonly entries = new Map<number, V>();

  constructor(private readonly capacity: number) {}

  get(key: number): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      // re-insert so the Map's order is least- to most-recently used
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: number, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
