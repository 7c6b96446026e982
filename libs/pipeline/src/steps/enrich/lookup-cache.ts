import type { LookupRow } from './row-lookup';

interface Entry {
  readonly row: Promise<LookupRow | undefined>;
  readonly expiresAt: number;
}

/**
 * Lookup results by parameters for `ttlMs`, at most `maxEntries` (the oldest entry leaves first).
 * Misses are cached too; a failed lookup is forgotten so the retry asks again. Concurrent lookups of
 * the same parameters share one query.
 */
export class LookupCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly clock: () => number,
  ) {}

  get(key: string, load: () => Promise<LookupRow | undefined>): Promise<LookupRow | undefined> {
    const now = this.clock();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.row;
    if (hit) this.entries.delete(key);
    if (this.ttlMs === 0) return load();
    const row = load();
    this.entries.set(key, { row, expiresAt: now + this.ttlMs });
    row.catch(() => {
      if (this.entries.get(key)?.row === row) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return row;
  }

  get size(): number {
    return this.entries.size;
  }
}
