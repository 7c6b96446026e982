/**
 * Kafka record headers as Sluice handles them: an ordered list, because Kafka allows a key to
 * repeat and a dead-letter record must carry the original headers unchanged.
 */
export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}
export type RecordHeaders = readonly RecordHeader[];

/** Headers in the shape kafkajs uses (`IHeaders`): repeated keys become arrays. */
export type HeaderMap = Record<string, Buffer | string | ReadonlyArray<Buffer | string> | undefined>;

/** From kafkajs's header object to the ordered list (string values become UTF-8 bytes). */
export function headersFromMap(map: HeaderMap | undefined): RecordHeader[] {
  const out: RecordHeader[] = [];
  for (const [key, raw] of Object.entries(map ?? {})) {
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw as Buffer | string];
    for (const v of values) out.push({ key, value: typeof v === 'string' ? Buffer.from(v, 'utf8') : v });
  }
  return out;
}

/**
 * From the ordered list to kafkajs's header object; a repeated key becomes an array in order.
 * Null values cannot be sent by kafkajs and are left out.
 */
export function headersToMap(headers: RecordHeaders): Record<string, Buffer | Buffer[]> {
  const out: Record<string, Buffer | Buffer[]> = {};
  for (const { key, value } of headers) {
    if (value === null) continue;
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing, value];
  }
  return out;
}

/** The value of the last header named `key`, as UTF-8 text (Kafka's `lastHeader`). */
export function lastHeaderText(headers: RecordHeaders, key: string): string | undefined {
  for (let i = headers.length - 1; i >= 0; i--) {
    if (headers[i].key === key) return headers[i].value?.toString('utf8');
  }
  return undefined;
}
