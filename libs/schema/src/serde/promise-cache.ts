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
 * Memoises a promise under `key`, forgetting it if it rejects so that a later call tries again
 * (an unreachable registry must not poison the cache), while concurrent callers share one load.
 */
export function cached<K, V>(
  cache: Map<K, Promise<V>>,
  key: K,
  load: () => Promise<V>,
  counters?: CacheCounters,
): Promise<V> {
  let entry = cache.get(key);
  if (!entry) {
    counters?.miss.inc();
    entry = load();
    cache.set(key, entry);
    entry.catch(() => cache.delete(key));
  } else counters?.hit.inc();
  return entry;
}
