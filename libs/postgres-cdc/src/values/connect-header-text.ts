import type { AvroJson } from './avro-json';

/** Debezium's header names on the events of a primary-key change (RelationalChangeRecordEmitter). */
export const NEW_KEY_HEADER = '__debezium.newkey';
export const OLD_KEY_HEADER = '__debezium.oldkey';

/** A key field as the header text needs it: its name and its (non-null) Avro schema. */
export interface HeaderField {
  readonly field: string;
  readonly schema: AvroJson;
}

/**
 * A key record as Kafka Connect's default header converter (SimpleHeaderConverter, which calls
 * `Values.convertToString`) writes a Struct header: `{"id":2,"name":"x"}` — field names and strings
 * quoted with only `\` and `"` escaped, numbers and booleans bare, bytes as quoted base64, a Decimal
 * as its plain number, nested structs and arrays alike, null as `null`. Doubles print as Java does for
 * whole numbers (`1.0`).
 */
export function connectStructText(fields: readonly HeaderField[], record: Record<string, unknown>): string {
  return `{${fields.map((f) => `${quote(f.field)}:${valueText(f.schema, record[f.field])}`).join(',')}}`;
}

function valueText(schema: AvroJson, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  const meta =
    typeof schema === 'object' && !Array.isArray(schema) ? (schema as Record<string, unknown>) : {};
  const type = typeof schema === 'string' ? schema : meta['type'];
  if (Array.isArray(schema)) {
    // A union (optional field or item): the non-null branch.
    const branch = (schema as AvroJson[]).find((s) => s !== 'null') ?? 'null';
    return valueText(branch, value);
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    const bytes = Buffer.from(value);
    if (meta['connect.name'] === 'org.apache.kafka.connect.data.Decimal') {
      return decimalText(bytes, Number(meta['scale'] ?? 0));
    }
    return `"${bytes.toString('base64')}"`;
  }
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'number') {
    return (type === 'double' || type === 'float') && Number.isInteger(value) && Math.abs(value) < 1e7
      ? `${value}.0`
      : String(value);
  }
  if (Array.isArray(value)) {
    const items = type === 'array' ? (meta['items'] as AvroJson) : 'null';
    return `[${value.map((v) => valueText(items, v)).join(',')}]`;
  }
  if (typeof value === 'object') {
    const fields = (type === 'record' ? (meta['fields'] as { name: string; type: AvroJson }[]) : []) ?? [];
    const record = value as Record<string, unknown>;
    const named = fields.length > 0 ? fields : Object.keys(record).map((name) => ({ name, type: 'null' }));
    return `{${named.map((f) => `${quote(f.name)}:${valueText(f.type, record[f.name])}`).join(',')}}`;
  }
  return quote(String(value));
}

/** Java's BigDecimal.toString of an unscaled two's-complement big-endian integer at `scale`. */
function decimalText(bytes: Buffer, scale: number): string {
  let unscaled = 0n;
  for (const b of bytes) unscaled = (unscaled << 8n) | BigInt(b);
  if (bytes.length > 0 && bytes[0]! & 0x80) unscaled -= 1n << BigInt(bytes.length * 8);
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

const quote = (text: string): string => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
