import { type AvroType, decimalBytesText } from '@sluice/schema';
import {
  arrayText,
  bitsText,
  byteaText,
  dateText,
  durationText,
  floatText,
  jsonText,
  timeOfDayText,
  timestampMicrosText,
  toBigInt,
  zonedTimeText,
} from './postgres-text';

/**
 * How one Avro field becomes one Postgres column: the column type to create and the function that
 * turns a decoded value into Postgres text input. Decided once per field of a schema
 * (`columnTypeFor`), applied per row. Throws TypeError/RangeError for a value it cannot take; the
 * caller names the table and column.
 */
export interface ColumnType {
  /** The type in DDL, e.g. `numeric(10,2)`, `timestamp`, `integer[]`. */
  readonly pgType: string;
  /** Whether the Avro type admits null (a `["null", T]` union). */
  readonly nullable: boolean;
  readonly toText: (value: unknown) => string | null;
}

type Converter = (value: unknown) => string;
interface Mapped {
  readonly pgType: string;
  readonly convert: Converter;
}

const str = (v: unknown): string => {
  if (typeof v !== 'string') throw new TypeError(`expected a string, got ${typeof v}`);
  return v;
};
const buf = (v: unknown): Buffer => {
  if (!Buffer.isBuffer(v)) throw new TypeError(`expected bytes, got ${typeof v}`);
  return v;
};
const num = (v: unknown): number => {
  if (typeof v !== 'number') throw new TypeError(`expected a number, got ${typeof v}`);
  return v;
};
const integer: Converter = (v) => toBigInt(v).toString();
const text: Mapped = { pgType: 'text', convert: str };
const jsonb: Mapped = { pgType: 'jsonb', convert: str };

/** Debezium / Kafka Connect semantic types (`connect.name`) on primitives. */
const CONNECT_NAMED: Record<string, (props: Readonly<Record<string, unknown>>) => Mapped> = {
  'io.debezium.time.Date': () => ({ pgType: 'date', convert: (v) => dateText(num(v)) }),
  'io.debezium.time.Time': () => ({
    pgType: 'time(3)',
    convert: (v) => timeOfDayText(toBigInt(v) * 1000n),
  }),
  'io.debezium.time.MicroTime': () => ({ pgType: 'time', convert: (v) => timeOfDayText(toBigInt(v)) }),
  'io.debezium.time.NanoTime': () => ({
    pgType: 'time',
    convert: (v) => timeOfDayText(toBigInt(v) / 1000n),
  }),
  'io.debezium.time.ZonedTime': () => ({ pgType: 'timetz', convert: (v) => zonedTimeText(str(v)) }),
  'io.debezium.time.Timestamp': () => ({
    pgType: 'timestamp(3)',
    convert: (v) => timestampMicrosText(toBigInt(v) * 1000n),
  }),
  'io.debezium.time.MicroTimestamp': () => ({
    pgType: 'timestamp',
    convert: (v) => timestampMicrosText(toBigInt(v)),
  }),
  'io.debezium.time.NanoTimestamp': () => ({
    pgType: 'timestamp',
    convert: (v) => timestampMicrosText(toBigInt(v) / 1000n),
  }),
  'io.debezium.time.ZonedTimestamp': () => ({ pgType: 'timestamptz', convert: str }),
  'io.debezium.time.MicroDuration': () => ({ pgType: 'interval', convert: (v) => durationText(toBigInt(v)) }),
  'io.debezium.data.Uuid': () => ({ pgType: 'uuid', convert: str }),
  'io.debezium.data.Json': () => jsonb,
  'io.debezium.data.Xml': () => ({ pgType: 'xml', convert: str }),
  'io.debezium.data.Enum': () => text,
  'io.debezium.data.EnumSet': () => text,
  'io.debezium.data.Ltree': () => text,
  'io.debezium.data.Bits': (props) => {
    const length = Number((props['connect.parameters'] as Record<string, string> | undefined)?.length ?? 1);
    return { pgType: 'varbit', convert: (v) => bitsText(buf(v), length) };
  },
  'org.apache.kafka.connect.data.Date': () => ({ pgType: 'date', convert: (v) => dateText(num(v)) }),
  'org.apache.kafka.connect.data.Timestamp': () => ({
    pgType: 'timestamp(3)',
    convert: (v) => timestampMicrosText(toBigInt(v) * 1000n),
  }),
};

/** Plain Avro logical types (producers other than Debezium). */
function logical(name: string, type: AvroType & { kind: 'primitive' }): Mapped | undefined {
  switch (name) {
    case 'decimal':
      return decimal(type.logicalType?.precision, type.logicalType?.scale ?? 0, true);
    case 'date':
      return { pgType: 'date', convert: (v) => dateText(num(v)) };
    case 'time-millis':
      return { pgType: 'time(3)', convert: (v) => timeOfDayText(toBigInt(v) * 1000n) };
    case 'time-micros':
      return { pgType: 'time', convert: (v) => timeOfDayText(toBigInt(v)) };
    case 'timestamp-millis':
      return { pgType: 'timestamptz', convert: (v) => `${timestampMicrosText(toBigInt(v) * 1000n)}+00` };
    case 'timestamp-micros':
      return { pgType: 'timestamptz', convert: (v) => `${timestampMicrosText(toBigInt(v))}+00` };
    case 'local-timestamp-millis':
      return { pgType: 'timestamp(3)', convert: (v) => timestampMicrosText(toBigInt(v) * 1000n) };
    case 'local-timestamp-micros':
      return { pgType: 'timestamp', convert: (v) => timestampMicrosText(toBigInt(v)) };
    case 'uuid':
      return { pgType: 'uuid', convert: str };
    default:
      return undefined;
  }
}

function decimal(precision: number | undefined, scale: number, typed: boolean): Mapped {
  const pgType = typed && precision !== undefined ? `numeric(${precision},${scale})` : 'numeric';
  return { pgType, convert: (v) => decimalBytesText(buf(v), scale) };
}

function primitive(type: AvroType & { kind: 'primitive' }): Mapped {
  const props = type.props;
  const connectName = props['connect.name'];
  if (connectName === 'org.apache.kafka.connect.data.Decimal') {
    const parameters = (props['connect.parameters'] ?? {}) as Record<string, string>;
    const precision = parameters['connect.decimal.precision'];
    const scale = Number(parameters.scale ?? type.logicalType?.scale ?? 0);
    // Without the precision parameter (money, unconstrained sources) the column is plain numeric.
    return decimal(precision === undefined ? undefined : Number(precision), scale, precision !== undefined);
  }
  if (typeof connectName === 'string' && CONNECT_NAMED[connectName]) return CONNECT_NAMED[connectName](props);
  if (type.logicalType) {
    const mapped = logical(type.logicalType.name, type);
    if (mapped) return mapped;
  }
  switch (type.name) {
    case 'int':
      return { pgType: props['connect.type'] === 'int16' ? 'smallint' : 'integer', convert: integer };
    case 'long':
      return { pgType: 'bigint', convert: integer };
    case 'float':
      return { pgType: 'real', convert: (v) => floatText(num(v)) };
    case 'double':
      return { pgType: 'double precision', convert: (v) => floatText(num(v)) };
    case 'boolean':
      return {
        pgType: 'boolean',
        convert: (v) => {
          if (typeof v !== 'boolean') throw new TypeError(`expected a boolean, got ${typeof v}`);
          return v ? 't' : 'f';
        },
      };
    case 'bytes':
      return { pgType: 'bytea', convert: (v) => byteaText(buf(v)) };
    case 'string':
      return text;
    case 'null':
      throw new TypeError('a field of type null has no column');
  }
}

function mapped(type: AvroType): Mapped {
  switch (type.kind) {
    case 'primitive':
      return primitive(type);
    case 'record':
      if (type.fullName === 'io.debezium.data.VariableScaleDecimal')
        return {
          pgType: 'numeric',
          convert: (v) => {
            const { scale, value } = v as { scale: number; value: Buffer };
            return decimalBytesText(buf(value), scale);
          },
        };
      return { pgType: 'jsonb', convert: (v) => jsonText(v) };
    case 'map':
      return { pgType: 'jsonb', convert: (v) => jsonText(v) };
    case 'enum':
      return text;
    case 'fixed':
      return { pgType: 'bytea', convert: (v) => byteaText(buf(v)) };
    case 'array': {
      const element = columnTypeFor(type.items);
      if (element.pgType.endsWith('[]'))
        // Postgres arrays are not nested types; nested Avro arrays are kept whole as jsonb.
        return { pgType: 'jsonb', convert: (v) => jsonText(v) };
      return {
        pgType: `${element.pgType}[]`,
        convert: (v) => {
          if (!Array.isArray(v)) throw new TypeError(`expected an array, got ${typeof v}`);
          return arrayText(v.map((e) => element.toText(e)));
        },
      };
    }
    case 'union':
      // A union of several non-null branches has no single column type: kept whole as jsonb.
      return { pgType: 'jsonb', convert: (v) => jsonText(v) };
  }
}

/** The column for an Avro field type: `["null", T]` is a nullable T. */
export function columnTypeFor(type: AvroType): ColumnType {
  let nullable = false;
  let inner = type;
  if (type.kind === 'union') {
    const branches = type.branches.filter((b) => !(b.kind === 'primitive' && b.name === 'null'));
    nullable = branches.length < type.branches.length;
    if (branches.length === 1) inner = branches[0];
  }
  const { pgType, convert } = mapped(inner);
  return {
    pgType,
    nullable,
    toText: (value) => (value === null || value === undefined ? null : convert(value)),
  };
}
