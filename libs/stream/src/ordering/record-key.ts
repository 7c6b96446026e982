/** A Kafka record key as the runtime sees it: bytes, a string, or absent. */
export type RecordKey = Buffer | string | null | undefined;

/**
 * The identity of a key for ordering and parking: equal bytes give equal ids. Null (absent) keys
 * have no identity — records without a key carry no ordering promise in Kafka (the default
 * partitioner spreads them), so the runtime treats each one on its own.
 */
export function keyIdentity(key: RecordKey): string | null {
  if (key === null || key === undefined) return null;
  // latin1 maps every byte to one UTF-16 unit: cheap, and distinct bytes give distinct strings.
  return typeof key === 'string' ? Buffer.from(key, 'utf8').toString('latin1') : key.toString('latin1');
}
