import { counter } from '@sluice/observability';

const lookups = counter({
  name: 'sluice_schema_cache_lookups_total',
  help: 'Schema cache lookups of the serdes, by cache and result (hit: no registry request).',
  labelNames: ['cache', 'result'],
});

/** Hit and miss counters of one named cache (bound once: lookups happen per record). */
export interface CacheCounters {
  readonly hit: { inc(): void };
  readonly miss: { inc(): void };
}

export function cacheCounters(cache: string): CacheCounters {
  return {
    hit: lookups.bind({ cache, result: 'hit' }),
    miss: lookups.bind({ cache, result: 'miss' }),
  };
}

/**
 * Values loaded once per key (a schema fetched from the registry, parsed, registered). While a key's
 * load is under way it answers with the load's promise, which concurrent callers share; once loaded,
 * with the value itself, so a per-record lookup costs no promise and no turn of the microtask queue.
 * A failed load is forgotten, so a later call tries again (an unreachable registry must not poison
 * the cache).
 */
export class LoadingCache<K, V extends NonNullable<unknown>> {
  private readonly loaded = new Map<K, V>();
  private readonly loading = new Map<K, Promise<V>>();

  constructor(private readonly counters?: CacheCounters) {}

  get(key: K, load: () => Promise<V>): V | Promise<V> {
    const value = this.loaded.get(key);
    if (value !== undefined) {
      this.counters?.hit.inc();
      return value;
    }
    let pending = this.loading.get(key);
    if (pending) {
      this.counters?.hit.inc();
      return pending;
    }
    this.counters?.miss.inc();
    pending = load();
    this.loading.set(key, pending);
    // Registered before any caller's continuation: the value is in `loaded` when they resume.
    pending.then(
      (loadedValue) => {
        this.loaded.set(key, loadedValue);
        this.loading.delete(key);
      },
      () => this.loading.delete(key),
    );
    return pending;
  }
}
