// Debezium's PostgresDefaultValueConverter: the literal DEFAULT of a column, parsed from the
// expression Postgres prints (JDBC COLUMN_DEF), then converted by the column's own converter.
// A function call (nextval, now(), gen_random_uuid()) or CURRENT_* gives the type's placeholder
// (0, 1970-01-01, ...), as Debezium; an expression it cannot parse gives no default.
import { PgOid } from '../types/pg-oid';
import type { TypeCatalog } from '../types/type-catalog';
import type { ColumnConverter } from './column-converter';

/** The default as a Debezium schema carries it, or undefined for none. */
export type ColumnDefault = { readonly value: unknown } | undefined;

const LITERAL = /'(.*?)'/;
const FUNCTION = /^[(]?[A-Za-z0-9_.]+\((?:.+(?:, ?.+)*)?\)/;
const CURRENT_DATE_TIMES = new Set([
  'current_timestamp',
  'current_time',
  'current_date',
  'localtime',
  'localtimestamp',
]);

/** Debezium's extractDefault(value): a raw value, or the text inside the first quotes. */
function literal(expression: string): string | null {
  if (!expression.includes("'")) return expression.startsWith('NULL::') ? null : expression;
  const match = LITERAL.exec(expression);
  if (match === null) throw new Error(`no literal in ${expression}`);
  return match[1];
}

/** Debezium's extractDefault(value, placeholder): generated values map to the placeholder. */
function extract(expression: string, placeholder: string): string | null {
  if (FUNCTION.test(expression) || CURRENT_DATE_TIMES.has(expression.toLowerCase())) return placeholder;
  return literal(expression);
}

const INTEGER = /^[+-]?\d+$/;
const integer = (text: string | null, min: number, max: number): string | null => {
  if (text === null) return null;
  if (!INTEGER.test(text)) throw new Error(`not an integer: ${text}`);
  const n = Number(text);
  if (n < min || n > max) throw new Error(`out of range: ${text}`);
  return String(n);
};
const decimal = (text: string | null): string | null => {
  if (text === null) return null;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`not a number: ${text}`);
  return text;
};

/** `HH:MM` → `HH:MM:SS`, as java.time's LocalTime reads both. */
const fullTime = (text: string): string => (/^\d{2}:\d{2}$/.test(text) ? `${text}:00` : text);
/** A date without a time → midnight, as pgjdbc's TimestampUtils reads it. */
const withTime = (text: string): string => (/^\d{4,}-\d{2}-\d{2}$/.test(text) ? `${text} 00:00:00` : text);

/** Per Postgres type name (Debezium's column.typeName()): default text → the converter's input text. */
const MAPPERS: Readonly<Record<string, (expression: string) => string | null>> = {
  bit: (v) => extract(v, '00'),
  varbit: (v) => extract(v, '0'),
  bool: (v) => {
    if (v.startsWith('NULL::')) return null;
    return extract(v, 'false')?.toLowerCase() === 'true' ? 't' : 'f';
  },
  bpchar: (v) => extract(v, ''),
  varchar: (v) => extract(v, ''),
  text: (v) => extract(v, ''),
  numeric: (v) => (v.startsWith('NULL::') ? null : decimal(extract(v, '0.0'))),
  float4: (v) => (v.startsWith('NULL::') ? null : decimal(extract(v, '0.0'))),
  float8: (v) => (v.startsWith('NULL::') ? null : decimal(extract(v, '0.0'))),
  int2: (v) => (v.startsWith('NULL::') ? null : integer(extract(v, '0'), -32768, 32767)),
  int4: (v) => (v.startsWith('NULL::') ? null : integer(extract(v, '0'), -2147483648, 2147483647)),
  // beyond ±2^53 a default cannot be written as a JSON number here: none (rare)
  int8: (v) =>
    v.startsWith('NULL::') ? null : integer(extract(v, '0'), -9007199254740991, 9007199254740991),
  json: (v) => extract(v, '{}'),
  jsonb: (v) => extract(v, '{}'),
  xml: (v) => extract(v, ''),
  uuid: (v) => {
    const text = extract(v, '00000000-0000-0000-0000-000000000000');
    if (text === null || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text))
      throw new Error(`not a uuid: ${text}`);
    return text.toLowerCase();
  },
  date: (v) => extract(v, '1970-01-01')?.slice(0, 10) ?? null,
  time: (v) => {
    const text = extract(v, '00:00');
    return text === null ? null : fullTime(text);
  },
  timestamp: (v) => {
    const text = extract(v, '1970-01-01');
    return text === null ? null : withTime(text);
  },
  timestamptz: (v) => {
    const text = extract(v, '1970-01-01');
    if (text === null) return null;
    const full = withTime(text);
    return /[+-]\d{2}(:\d{2})?$/.test(full) ? full : `${full}+00`;
  },
  interval: (v) => {
    const text = extract(v, 'epoch');
    return text === 'epoch' ? '00:00:00' : text;
  },
};

/** Types Debezium trims the expression of before parsing. */
const TRIMMED = new Set([
  'bit',
  'varbit',
  'bool',
  'numeric',
  'float4',
  'float8',
  'int2',
  'int4',
  'int8',
  'uuid',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'interval',
]);

/**
 * The default of a column of type `typeName` (its `pg_type.typname`; `enum` for a user enum) with
 * DEFAULT `expression`, converted by `converter`. Undefined when Debezium would have none: no
 * mapper for the type (domains, arrays, bytea, money, network types, ...), an expression it cannot
 * parse, a NULL default, or a value that is a record (Debezium drops struct defaults, KAFKA-12694).
 */
export function columnDefault(
  typeName: string,
  expression: string | undefined,
  converter: ColumnConverter,
): ColumnDefault {
  if (expression === undefined) return undefined;
  try {
    let text: string | null;
    if (typeName === 'enum') text = enumLiteral(expression);
    else {
      const mapper = MAPPERS[typeName];
      if (mapper === undefined) return undefined;
      text = mapper(TRIMMED.has(typeName) ? expression.trim() : expression);
    }
    if (text === null) return undefined;
    const value = converter.convert(text);
    if (value === null || value === undefined || typeof value === 'bigint') return undefined;
    if (typeof value === 'object' && !Buffer.isBuffer(value)) return undefined; // a struct (or array)
    return { value };
  } catch {
    return undefined;
  }
}

/** Debezium's extractEnumDefault: `'happy'::mood` → happy. */
function enumLiteral(expression: string): string | null {
  const cast = expression.lastIndexOf('::');
  if (cast < 0) return null;
  const value = expression.slice(0, cast);
  return value.startsWith("'") && value.endsWith("'") ? value.slice(1, -1) : null;
}

/**
 * A default as AvroData writes it in JSON (defaultValueFromConnect): numbers, booleans and strings
 * as themselves, bytes (Decimal, Bits, bytea) as an ISO-8859-1 string of the bytes.
 */
export function avroDefaultJson(value: unknown): unknown {
  return Buffer.isBuffer(value) ? value.toString('latin1') : value;
}

/** `typname` of the built-in types that have a default mapper (for catalogs without pg_catalog). */
const BUILTIN_NAMES: ReadonlyMap<number, string> = new Map([
  [PgOid.BIT, 'bit'],
  [PgOid.VARBIT, 'varbit'],
  [PgOid.BOOL, 'bool'],
  [PgOid.BPCHAR, 'bpchar'],
  [PgOid.VARCHAR, 'varchar'],
  [PgOid.TEXT, 'text'],
  [PgOid.NUMERIC, 'numeric'],
  [PgOid.FLOAT4, 'float4'],
  [PgOid.FLOAT8, 'float8'],
  [PgOid.INT2, 'int2'],
  [PgOid.INT4, 'int4'],
  [PgOid.INT8, 'int8'],
  [PgOid.JSON, 'json'],
  [PgOid.JSONB, 'jsonb'],
  [PgOid.XML, 'xml'],
  [PgOid.UUID, 'uuid'],
  [PgOid.DATE, 'date'],
  [PgOid.TIME, 'time'],
  [PgOid.TIMESTAMP, 'timestamp'],
  [PgOid.TIMESTAMPTZ, 'timestamptz'],
  [PgOid.INTERVAL, 'interval'],
]);

/** The type name Debezium picks the default mapper by: built-in `typname`, `enum` for a user enum. */
export function defaultTypeName(catalog: TypeCatalog, typeOid: number): string | undefined {
  const builtin = BUILTIN_NAMES.get(typeOid);
  if (builtin !== undefined) return builtin;
  const type = catalog.get(typeOid);
  if (type === undefined) return undefined;
  return type.kind === 'enum' ? 'enum' : type.schema === 'pg_catalog' ? type.name : undefined;
}
