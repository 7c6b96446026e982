import { decimalBytesText } from './avro-decimal';
import { type AvroType } from './avro-type';

/**
 * A decoded Avro value as people read it in JSON, guided by its schema: decimals as their exact
 * text, other bytes and fixed as base64, longs decoded as bigint as decimal text. Everything else
 * is the value as decoded. A union with several non-null branches is shown as decoded, bytes
 * still as base64 (which branch a value took is not recorded in avsc's unwrapped unions).
 */
export function readableAvroValue(type: AvroType, value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  switch (type.kind) {
    case 'primitive':
    case 'fixed':
      if (Buffer.isBuffer(value))
        return type.logicalType?.name === 'decimal'
          ? decimalBytesText(value, type.logicalType.scale ?? 0)
          : value.toString('base64');
      return typeof value === 'bigint' ? value.toString() : value;
    case 'record': {
      const record = value as Record<string, unknown>;
      return Object.fromEntries(type.fields.map((f) => [f.name, readableAvroValue(f.type, record[f.name])]));
    }
    case 'array':
      return Array.isArray(value) ? value.map((item) => readableAvroValue(type.items, item)) : value;
    case 'map':
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          k,
          readableAvroValue(type.values, v),
        ]),
      );
    case 'union': {
      const branches = type.branches.filter((b) => !(b.kind === 'primitive' && b.name === 'null'));
      return branches.length === 1 ? readableAvroValue(branches[0]!, value) : plainJson(value);
    }
    default:
      return value;
  }
}

function plainJson(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(plainJson);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainJson(v)]));
  return value;
}
