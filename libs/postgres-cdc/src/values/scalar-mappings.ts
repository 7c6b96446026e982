// The decision step of Debezium's PostgresValueConverter, for built-in scalar types with
// time.precision.mode, decimal.handling.mode, interval.handling.mode, hstore.handling.mode and
// binary.handling.mode as configured: for a type and type modifier,
// the Avro schema and the one function that converts a text value.
import { PgOid } from '../types/pg-oid';
import { type AvroJson, connectPrimitive } from './avro-json';
import {
  decimalToBytes,
  moneyToBytes,
  moneyToPlain,
  numericToDouble,
  numericToString,
  variableScaleDecimal,
} from './numeric-codec';
import { parseIntervalIso, parseIntervalMicros } from './interval-codec';
import { GEOGRAPHY_SCHEMA, GEOMETRY_SCHEMA, POINT_SCHEMA, parseHexEwkb, parsePoint } from './geometry-codec';
import {
  DOUBLE_VECTOR_SCHEMA,
  FLOAT_VECTOR_SCHEMA,
  SPARSE_DOUBLE_VECTOR_SCHEMA,
  parseSparseVector,
  parseVector,
} from './vector-codec';
import {
  formatTimeTz,
  formatTimestampTz,
  parseDate,
  parseTimeMicros,
  parseTimestampMicros,
  parseTimestampMillis,
} from './temporal-codec';

/** How an unchanged TOASTed value is shown for a column (Debezium's UnchangedToastedPlaceholder). */
export type PlaceholderKind = 'string' | 'bytes' | 'hstore' | 'hstore-map' | 'none';

export interface ScalarMapping {
  readonly schema: AvroJson;
  readonly convert: (text: string) => unknown;
  readonly placeholder: PlaceholderKind;
  /** A `bytes` placeholder written as text (binary.handling.mode other than bytes). */
  readonly encodeBytes?: (bytes: Buffer) => string;
  /** A character type: the kind of column column.mask.* applies to. */
  readonly character?: boolean;
  /** Optional even for a NOT NULL column (Debezium's Geometry schema is optional by itself). */
  readonly alwaysOptional?: boolean;
  /** Debezium has no mapping for arrays of this type (point[], tsvector[], vectors): skipped. */
  readonly noArrays?: boolean;
  /** The array element delimiter (`typdelim`) when not ',' (PostGIS types use ':'). */
  readonly arrayDelimiter?: string;
}

/** Debezium's decimal.handling.mode. */
export type DecimalHandlingMode = 'precise' | 'double' | 'string';
/** Debezium's hstore.handling.mode. */
export type HstoreHandlingMode = 'json' | 'map';
/** Debezium's interval.handling.mode. */
export type IntervalHandlingMode = 'numeric' | 'string';
/** Debezium's time.precision.mode. */
export type TimePrecisionMode = 'adaptive' | 'adaptive_time_microseconds' | 'connect';

/** A Kafka Connect logical type as AvroData writes it (connect.version 1, the Avro logicalType last). */
const connectLogical = (type: string, name: string, logicalType: string): AvroJson => ({
  type,
  'connect.version': 1,
  'connect.name': name,
  logicalType,
});

/** Debezium's binary.handling.mode. */
export type BinaryHandlingMode = 'bytes' | 'base64' | 'base64-url-safe' | 'hex';

/**
 * How binary.handling.mode writes bytes other than as Avro bytes (Debezium's convertBinary): Java's
 * Base64 encoder, its URL encoder (padding kept), or lower-case hex. Undefined for `bytes`.
 */
export function binaryEncoder(mode: BinaryHandlingMode | undefined): ((bytes: Buffer) => string) | undefined {
  switch (mode) {
    case 'base64':
      return (bytes) => bytes.toString('base64');
    case 'base64-url-safe':
      return (bytes) => bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    case 'hex':
      return (bytes) => bytes.toString('hex');
    default:
      return undefined;
  }
}

/** A binary value under binary.handling.mode: Avro bytes, or a string of them encoded. */
export function binaryMapping(
  read: (text: string) => Buffer,
  mode: BinaryHandlingMode | undefined,
): ScalarMapping {
  const encode = binaryEncoder(mode);
  if (encode === undefined) return { schema: 'bytes', convert: read, placeholder: 'bytes' };
  return {
    schema: 'string',
    convert: (text) => encode(read(text)),
    placeholder: 'bytes',
    encodeBytes: encode,
  };
}

export interface ScalarOptions {
  /** Debezium's `money.fraction.digits` (default 2). */
  readonly moneyFractionDigits: number;
  readonly column: string;
  /** Default precise. */
  readonly decimalMode?: DecimalHandlingMode;
  /** Default json. */
  readonly hstoreMode?: HstoreHandlingMode;
  /** Default numeric. */
  readonly intervalMode?: IntervalHandlingMode;
  /** Default bytes. */
  readonly binaryMode?: BinaryHandlingMode;
  /** Default adaptive. */
  readonly timePrecisionMode?: TimePrecisionMode;
}

const identity = (text: string): string => text;
const named = (name: string): AvroJson => connectPrimitive('string', { name, version: 1 });

/** Precision and scale of numeric(p,s); scale may be negative since Postgres 15. */
export function numericTypmod(typmod: number): { precision: number; scale: number } | undefined {
  if (typmod < 4) return undefined;
  const t = typmod - 4;
  return { precision: (t >> 16) & 0xffff, scale: ((t & 0x7ff) ^ 1024) - 1024 };
}

export function decimalSchema(precision: number | undefined, scale: number): AvroJson {
  const parameters: Record<string, string> = { scale: String(scale) };
  if (precision !== undefined) parameters['connect.decimal.precision'] = String(precision);
  return {
    type: 'bytes',
    scale,
    precision: precision ?? 64, // AvroData's default when Connect has no precision parameter
    'connect.version': 1,
    'connect.parameters': parameters,
    'connect.name': 'org.apache.kafka.connect.data.Decimal',
    logicalType: 'decimal',
  };
}

export const VARIABLE_SCALE_DECIMAL_SCHEMA: AvroJson = {
  type: 'record',
  name: 'VariableScaleDecimal',
  namespace: 'io.debezium.data',
  doc: 'Variable scaled decimal',
  fields: [
    { name: 'scale', type: 'int' },
    { name: 'value', type: 'bytes' },
  ],
  'connect.doc': 'Variable scaled decimal',
  'connect.version': 1,
  'connect.name': 'io.debezium.data.VariableScaleDecimal',
};

const timePrecision = (typmod: number): number => (typmod < 0 ? 6 : typmod);

/** Bit string → Debezium's Bits bytes: the number it spells, little-endian, trailing zeros cut. */
export function bitsToBytes(text: string): Buffer {
  const bytes: number[] = [];
  for (let end = text.length; end > 0; end -= 8) {
    const start = Math.max(0, end - 8);
    let b = 0;
    for (let i = start; i < end; i++) b = (b << 1) | (text.charCodeAt(i) === 49 ? 1 : 0);
    bytes.push(b);
  }
  let n = bytes.length;
  while (n > 0 && bytes[n - 1] === 0) n--;
  return Buffer.from(bytes.slice(0, n));
}

function bitMapping(oid: number, typmod: number): ScalarMapping {
  // bit without a length is bit(1); varbit without one is unbounded (JDBC says Integer.MAX_VALUE).
  const length = typmod > 0 ? typmod : oid === PgOid.BIT ? 1 : 2_147_483_647;
  if (length <= 1) return { schema: 'boolean', convert: (t) => t === '1', placeholder: 'none' };
  return {
    schema: connectPrimitive('bytes', {
      name: 'io.debezium.data.Bits',
      version: 1,
      parameters: { length: String(length) },
    }),
    convert: bitsToBytes,
    placeholder: 'bytes',
  };
}

function numericMapping(typmod: number, column: string, mode: DecimalHandlingMode): ScalarMapping {
  if (mode === 'double') return { schema: 'double', convert: numericToDouble, placeholder: 'none' };
  if (mode === 'string') {
    const scale = numericTypmod(typmod)?.scale;
    return { schema: 'string', convert: (t) => numericToString(t, scale), placeholder: 'none' };
  }
  // NaN and ±Infinity have no Decimal form: null (Debezium's converter fails, its default
  // event.converting.failure.handling.mode=warn writes null and logs); the builder warns.
  const ps = numericTypmod(typmod);
  if (ps === undefined) {
    return {
      schema: VARIABLE_SCALE_DECIMAL_SCHEMA,
      convert: (t) => (isSpecialNumeric(t) ? null : variableScaleDecimal(t, column)),
      placeholder: 'none',
    };
  }
  const { precision, scale } = ps;
  return {
    schema: decimalSchema(precision, scale),
    convert: (t) => (isSpecialNumeric(t) ? null : decimalToBytes(t, scale, column)),
    placeholder: 'none',
  };
}

/** NaN, Infinity or -Infinity: numeric text not ending in a digit. */
function isSpecialNumeric(text: string): boolean {
  const c = text.charCodeAt(text.length - 1);
  return c < 48 || c > 57;
}

/** The mapping of a built-in scalar type, or undefined when Sluice (like Debezium) has none. */
export function scalarMapping(
  oid: number,
  typmod: number,
  options: ScalarOptions,
): ScalarMapping | undefined {
  switch (oid) {
    case PgOid.BOOL:
      return { schema: 'boolean', convert: (t) => t === 't', placeholder: 'none' };
    case PgOid.INT2:
      return {
        schema: connectPrimitive('int', { connectType: 'int16' }),
        convert: Number,
        placeholder: 'none',
      };
    case PgOid.INT4:
      return { schema: 'int', convert: Number, placeholder: 'none' };
    case PgOid.INT8:
      return {
        schema: 'long',
        // 15 characters always fit a double; longer ones may need a bigint.
        convert: (t) => (t.length <= 15 ? Number(t) : toSafeLong(t)),
        placeholder: 'none',
      };
    case PgOid.OID:
      return { schema: 'long', convert: Number, placeholder: 'none' };
    case PgOid.FLOAT4:
      return { schema: 'float', convert: Number, placeholder: 'none' };
    case PgOid.FLOAT8:
      return { schema: 'double', convert: Number, placeholder: 'none' };
    case PgOid.NUMERIC:
      return numericMapping(typmod, options.column, options.decimalMode ?? 'precise');
    case PgOid.MONEY: {
      const scale = options.moneyFractionDigits;
      if (options.decimalMode === 'double')
        return {
          schema: 'double',
          convert: (t) => Number(moneyToPlain(t, options.column)),
          placeholder: 'none',
        };
      if (options.decimalMode === 'string')
        return { schema: 'string', convert: (t) => moneyToPlain(t, options.column), placeholder: 'none' };
      return {
        schema: decimalSchema(undefined, scale),
        convert: (t) => moneyToBytes(t, scale, options.column),
        placeholder: 'none',
      };
    }
    case PgOid.CHAR:
    case PgOid.NAME:
    case PgOid.TEXT:
    case PgOid.VARCHAR:
    case PgOid.BPCHAR:
      return { schema: 'string', convert: identity, placeholder: 'string', character: true };
    case PgOid.INET:
    case PgOid.CIDR:
    case PgOid.MACADDR:
    case PgOid.MACADDR8:
    case PgOid.INT4RANGE:
    case PgOid.INT8RANGE:
    case PgOid.NUMRANGE:
    case PgOid.TSRANGE:
    case PgOid.TSTZRANGE:
    case PgOid.DATERANGE:
      return { schema: 'string', convert: identity, placeholder: 'string' };
    case PgOid.BYTEA:
      return binaryMapping(byteaFromHex, options.binaryMode);
    case PgOid.UUID:
      return { schema: named('io.debezium.data.Uuid'), convert: identity, placeholder: 'string' };
    case PgOid.JSON:
    case PgOid.JSONB:
      return { schema: named('io.debezium.data.Json'), convert: identity, placeholder: 'string' };
    case PgOid.XML:
      return { schema: named('io.debezium.data.Xml'), convert: identity, placeholder: 'string' };
    case PgOid.DATE:
      return {
        schema:
          options.timePrecisionMode === 'connect'
            ? connectLogical('int', 'org.apache.kafka.connect.data.Date', 'date')
            : connectPrimitive('int', { name: 'io.debezium.time.Date', version: 1 }),
        convert: parseDate,
        placeholder: 'none',
      };
    case PgOid.TIME:
      if (options.timePrecisionMode === 'connect')
        return {
          schema: connectLogical('int', 'org.apache.kafka.connect.data.Time', 'time-millis'),
          convert: (t) => Math.floor(parseTimeMicros(t) / 1000),
          placeholder: 'none',
        };
      return timePrecision(typmod) <= 3 && options.timePrecisionMode !== 'adaptive_time_microseconds'
        ? {
            schema: connectPrimitive('int', { name: 'io.debezium.time.Time', version: 1 }),
            convert: (t) => Math.floor(parseTimeMicros(t) / 1000),
            placeholder: 'none',
          }
        : {
            schema: connectPrimitive('long', { name: 'io.debezium.time.MicroTime', version: 1 }),
            convert: parseTimeMicros,
            placeholder: 'none',
          };
    case PgOid.TIMETZ:
      return { schema: named('io.debezium.time.ZonedTime'), convert: formatTimeTz, placeholder: 'string' };
    case PgOid.TIMESTAMP:
      if (options.timePrecisionMode === 'connect')
        return {
          schema: connectLogical('long', 'org.apache.kafka.connect.data.Timestamp', 'timestamp-millis'),
          convert: parseTimestampMillis,
          placeholder: 'none',
        };
      return timePrecision(typmod) <= 3
        ? {
            schema: connectPrimitive('long', { name: 'io.debezium.time.Timestamp', version: 1 }),
            convert: parseTimestampMillis,
            placeholder: 'none',
          }
        : {
            schema: connectPrimitive('long', { name: 'io.debezium.time.MicroTimestamp', version: 1 }),
            convert: parseTimestampMicros,
            placeholder: 'none',
          };
    case PgOid.TIMESTAMPTZ: {
      const width = timePrecision(typmod);
      return {
        schema: named('io.debezium.time.ZonedTimestamp'),
        convert: (t) => formatTimestampTz(t, width),
        placeholder: 'string',
      };
    }
    case PgOid.INTERVAL:
      if (options.intervalMode === 'string')
        return { schema: named('io.debezium.time.Interval'), convert: parseIntervalIso, placeholder: 'none' };
      return {
        schema: connectPrimitive('long', { name: 'io.debezium.time.MicroDuration', version: 1 }),
        convert: parseIntervalMicros,
        placeholder: 'none',
      };
    case PgOid.BIT:
    case PgOid.VARBIT:
      return bitMapping(oid, typmod);
    case PgOid.POINT:
      return { schema: POINT_SCHEMA, convert: parsePoint, placeholder: 'none', noArrays: true };
    case PgOid.TSVECTOR:
      return {
        schema: named('io.debezium.data.Tsvector'),
        convert: identity,
        placeholder: 'string',
        noArrays: true,
      };
    default:
      return undefined;
  }
}

function toSafeLong(text: string): number | bigint {
  const n = BigInt(text);
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
}

/** bytea hex output (`\x0102`, bytea_output=hex, the default) → bytes. */
export function byteaFromHex(text: string): Buffer {
  return Buffer.from(text.slice(2), 'hex');
}

/** Mappings of extension types found by name (Debezium's TypeRegistry looks these up by name). */
export function extensionMapping(name: string, options?: ScalarOptions): ScalarMapping | undefined {
  switch (name) {
    case 'citext':
    case 'isbn':
      return { schema: 'string', convert: identity, placeholder: 'string', character: name === 'citext' };
    case 'ltree':
      return { schema: named('io.debezium.data.Ltree'), convert: identity, placeholder: 'string' };
    case 'hstore':
      if (options?.hstoreMode === 'map')
        return { schema: HSTORE_MAP_SCHEMA, convert: hstoreToMap, placeholder: 'hstore-map' };
      return { schema: named('io.debezium.data.Json'), convert: hstoreToJson, placeholder: 'hstore' };
    case 'geometry': // PostGIS
      return {
        schema: GEOMETRY_SCHEMA,
        convert: parseHexEwkb,
        placeholder: 'none',
        alwaysOptional: true,
        arrayDelimiter: ':',
      };
    case 'geography':
      return { schema: GEOGRAPHY_SCHEMA, convert: parseHexEwkb, placeholder: 'none', arrayDelimiter: ':' };
    case 'vector': // pgvector
      return { schema: DOUBLE_VECTOR_SCHEMA, convert: parseVector, placeholder: 'none', noArrays: true };
    case 'halfvec':
      return {
        schema: FLOAT_VECTOR_SCHEMA,
        convert: (t) => parseVector(t, 'halfvec'),
        placeholder: 'none',
        noArrays: true,
      };
    case 'sparsevec':
      return {
        schema: SPARSE_DOUBLE_VECTOR_SCHEMA,
        convert: parseSparseVector,
        placeholder: 'none',
        noArrays: true,
      };
    default:
      return undefined;
  }
}

/** Connect's map(STRING, OPTIONAL_STRING) as AvroData writes it (hstore.handling.mode=map). */
export const HSTORE_MAP_SCHEMA: AvroJson = { type: 'map', values: ['null', 'string'] };

/** hstore text output → an object of its pairs (hstore.handling.mode=map). */
export function hstoreToMap(text: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  readHstore(text, (key, value) => {
    out[key] = value;
  });
  return out;
}

/** hstore text output (`"a"=>"1", "b"=>NULL`) → a JSON object string (hstore.handling.mode=json). */
export function hstoreToJson(text: string): string {
  const out: string[] = [];
  readHstore(text, (key, value) => out.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`));
  return `{${out.join(',')}}`;
}

function readHstore(text: string, pair: (key: string, value: string | null) => void): void {
  let i = 0;
  const n = text.length;
  const readQuoted = (): string => {
    let value = '';
    let start = ++i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 92) {
        value += text.slice(start, i);
        start = ++i;
        i++;
      } else if (c === 34) break;
      else i++;
    }
    value += text.slice(start, i);
    i++;
    return value;
  };
  while (i < n) {
    while (i < n && text.charCodeAt(i) !== 34) i++;
    if (i >= n) break;
    const key = readQuoted();
    i = text.indexOf('>', i) + 1;
    while (text.charCodeAt(i) === 32) i++;
    const value = text.charCodeAt(i) === 34 ? readQuoted() : ((i += 4), null);
    pair(key, value);
  }
}

/** Type OID of the element of each built-in array type (fixed in pg_type.dat). */
export const BUILTIN_ARRAY_ELEMENTS: ReadonlyMap<number, number> = new Map([
  [1000, PgOid.BOOL],
  [1001, PgOid.BYTEA],
  [1002, PgOid.CHAR],
  [1003, PgOid.NAME],
  [1005, PgOid.INT2],
  [1007, PgOid.INT4],
  [1009, PgOid.TEXT],
  [1028, PgOid.OID],
  [1014, PgOid.BPCHAR],
  [1015, PgOid.VARCHAR],
  [1016, PgOid.INT8],
  [1021, PgOid.FLOAT4],
  [1022, PgOid.FLOAT8],
  [791, PgOid.MONEY],
  [1041, PgOid.INET],
  [651, PgOid.CIDR],
  [1040, PgOid.MACADDR],
  [775, PgOid.MACADDR8],
  [1182, PgOid.DATE],
  [1183, PgOid.TIME],
  [1115, PgOid.TIMESTAMP],
  [1185, PgOid.TIMESTAMPTZ],
  [1187, PgOid.INTERVAL],
  [1270, PgOid.TIMETZ],
  [1231, PgOid.NUMERIC],
  [2951, PgOid.UUID],
  [199, PgOid.JSON],
  [3807, PgOid.JSONB],
  [143, PgOid.XML],
  [1561, PgOid.BIT],
  [1563, PgOid.VARBIT],
  [3905, PgOid.INT4RANGE],
  [3907, PgOid.NUMRANGE],
  [3909, PgOid.TSRANGE],
  [3911, PgOid.TSTZRANGE],
  [3913, PgOid.DATERANGE],
  [3927, PgOid.INT8RANGE],
]);
