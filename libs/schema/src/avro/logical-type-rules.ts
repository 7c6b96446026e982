import type { LogicalType } from './avro-type';

/**
 * Which logical types Sluice recognises and on which underlying types, from the Avro 1.12
 * specification. The specification says an invalid logical type (wrong underlying type, a decimal
 * whose scale exceeds its precision, ...) must be ignored and the underlying type used; Java Avro and
 * therefore Confluent do so, and real producers rely on it (Kafka Connect's JDBC source emits
 * decimals with scale > precision). So `recogniseLogicalType` answers `undefined` rather than
 * throwing: the attribute stays in the schema as a plain property.
 */
const UNDERLYING: Readonly<Record<string, readonly string[]>> = {
  decimal: ['bytes', 'fixed'],
  uuid: ['string', 'fixed'],
  date: ['int'],
  'time-millis': ['int'],
  'time-micros': ['long'],
  'timestamp-millis': ['long'],
  'timestamp-micros': ['long'],
  'timestamp-nanos': ['long'],
  'local-timestamp-millis': ['long'],
  'local-timestamp-micros': ['long'],
  'local-timestamp-nanos': ['long'],
  duration: ['fixed'],
};

/** Largest number of decimal digits a two's-complement number of `size` bytes always holds. */
export function maxDecimalPrecision(size: number): number {
  return Math.floor(Math.log10(2) * (8 * size - 1));
}

/**
 * The logical type `attrs` declares on `underlying` (`bytes`, `fixed`, `int`, ...), or undefined
 * when there is none or it is not valid there. `fixedSize` is given for fixed types.
 */
export function recogniseLogicalType(
  attrs: Readonly<Record<string, unknown>>,
  underlying: string,
  fixedSize?: number,
): LogicalType | undefined {
  const name = attrs.logicalType;
  if (typeof name !== 'string' || !UNDERLYING[name]?.includes(underlying)) return undefined;
  if (name === 'uuid' && underlying === 'fixed' && fixedSize !== 16) return undefined;
  if (name === 'duration' && fixedSize !== 12) return undefined;
  if (name !== 'decimal') return { name };
  const { precision, scale = 0 } = attrs;
  if (!Number.isInteger(precision) || (precision as number) < 1) return undefined;
  if (!Number.isInteger(scale) || (scale as number) < 0 || (scale as number) > (precision as number)) {
    return undefined;
  }
  if (fixedSize !== undefined && (precision as number) > maxDecimalPrecision(fixedSize)) return undefined;
  return { name, precision: precision as number, scale: scale as number };
}

/** `decimal(10,2)`, `timestamp-micros`: how messages and generated code name a logical type. */
export function describeLogicalType(logical: LogicalType): string {
  return logical.name === 'decimal' ? `decimal(${logical.precision},${logical.scale})` : logical.name;
}
