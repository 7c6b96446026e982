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
 * the cache), unless `keepsFailure` says it stays: a refusal that asking again would only repeat.
 */
export class LoadingCache<K, V extends NonNullable<unknown>> {
  /** The value once loaded, its load's promise until then (and a kept failure's after). */
  private readonly entries = new Map<K, V | Promise<V>>();
  private readonly counters: CacheCounters | undefined;
  private readonly keepsFailure: ((error: unknown) => boolean) | undefined;

  constructor(
    options: {
      readonly counters?: CacheCounters;
      /** True for a failure that stays the key's answer (until restart). Default: none stays. */
      readonly keepsFailure?: (error: unknown) => boolean;
    } = {},
  ) {
    this.counters = options.counters;
    this.keepsFailure = options.keepsFailure;
  }

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
      (error: unknown) => {
        if (!this.keepsFailure?.(error)) this.entries.delete(key);
      },
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
