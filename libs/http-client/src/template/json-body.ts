/**
 * Decoded record values as JSON text. Avro values are mostly JSON already; the exceptions are
 * rendered the way Kafka Connect's JsonConverter does: `bytes`/`fixed` (Buffer) as base64 text, a
 * long beyond ±2^53 (bigint) as an exact JSON number (its digits, never rounded; a JavaScript
 * receiver needs a bigint-aware parser for those), `undefined` as null.
 */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value, replacer);
}

type RawJson = (text: string) => unknown;
const rawJSON = (JSON as unknown as { rawJSON: RawJson }).rawJSON;

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  // `value` has been through Buffer#toJSON already; the holder still has the Buffer itself.
  const raw = this[key];
  if (Buffer.isBuffer(raw)) return raw.toString('base64');
  if (typeof value === 'bigint') return rawJSON(value.toString());
  return value;
}

/** A value spliced into text (a URL, a header, a text body): strings as they are, the rest as JSON. */
export function toText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return toJsonText(value);
}
