import { type DeadLetter } from './dead-letter';

/** Which dead letters a command works on; every given criterion must match. */
export interface DeadLetterFilter {
  /** Any of these error classes (`parked`, `unknown` included). */
  readonly errorClasses?: readonly string[];
  /** The key, as UTF-8 text or its decoded JSON (see `keyMatches`). */
  readonly key?: string;
  /** Dead-letter timestamps at or after (ms). */
  readonly fromTime?: number;
  /** Dead-letter timestamps before (ms). */
  readonly toTime?: number;
  /** The original record's topic, partition and offset. */
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: bigint;
}

/**
 * The texts a key can be matched by: its UTF-8 text; its decoded JSON (when Avro); and, for a
 * record key of one field (a single-column primary key), that field's value.
 */
export function keyTexts(key: Buffer | null, decoded: unknown): string[] {
  if (key === null) return [];
  const texts = [key.toString('utf8')];
  if (decoded !== undefined) {
    texts.push(JSON.stringify(decoded, jsonSafe));
    if (decoded !== null && typeof decoded === 'object' && !Array.isArray(decoded)) {
      const values = Object.values(decoded as Record<string, unknown>);
      if (values.length === 1) texts.push(String(values[0]));
    }
  }
  return texts;
}

/** JSON for decoded Avro: bigints as numbers' text, bytes as base64. */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
    const data = (value as { data?: unknown }).data;
    if (Array.isArray(data)) return Buffer.from(data as number[]).toString('base64');
  }
  return value;
}

/** Whether `letter` passes `filter`; `keys` are the key's texts (`keyTexts`), needed only for `filter.key`. */
export function matchesFilter(
  filter: DeadLetterFilter,
  letter: DeadLetter,
  keys: readonly string[] = [],
): boolean {
  if (
    filter.errorClasses &&
    filter.errorClasses.length > 0 &&
    !filter.errorClasses.includes(letter.errorClass)
  )
    return false;
  if (filter.fromTime !== undefined && letter.timestamp < filter.fromTime) return false;
  if (filter.toTime !== undefined && letter.timestamp >= filter.toTime) return false;
  const source = letter.source;
  if (filter.topic !== undefined && source?.topic !== filter.topic) return false;
  if (filter.partition !== undefined && source?.partition !== filter.partition) return false;
  if (filter.offset !== undefined && source?.offset !== filter.offset) return false;
  if (filter.key !== undefined && !keys.includes(filter.key)) return false;
  return true;
}
