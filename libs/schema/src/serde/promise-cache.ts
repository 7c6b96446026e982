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
  /** The value once loaded, its load's promise until then. */
  private readonly entries = new Map<K, V | Promise<V>>();

  constructor(private readonly counters?: CacheCounters) {}

  get(key: K, load: () => Promise<V>): V | Promise<V> {
    const known = this.entries.get(key);
    if (known !== undefined) {
      this.counters?.hit.inc();
      return known;
    }
    this.counters?.miss.inc();
    const loading = load();
    this.entries.set(key, loading);
    // Registered before any caller's continuation: the value is in place when they resume.
    loading.then(
      (value) => this.entries.set(key, value),
      () => this.entries.delete(key),
    );
    return loading;
  }
}

/**
 * `next` of a value a LoadingCache (or anything built on one) answered: at once for a value, after
 * it for a promise, so a known value's path stays free of promises.
 */
export function whenLoaded<T, R>(value: T | Promise<T>, next: (loaded: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
