/**
 * Memoises a promise under `key`, forgetting it if it rejects so that a later call tries again
 * (an unreachable registry must not poison the cache), while concurrent callers share one load.
 */
export function cached<K, V>(cache: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
  let entry = cache.get(key);
  if (!entry) {
    entry = load();
    cache.set(key, entry);
    entry.catch(() => cache.delete(key));
  }
  return entry;
}
