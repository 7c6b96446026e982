import { createHash, createHmac } from 'node:crypto';
import { ConfigError } from '@sluice/errors';
import { PgOid } from '../types/pg-oid';
import type { TypeCatalog } from '../types/type-catalog';
import { type AvroJson, connectPrimitive } from './avro-json';
import { parseArrayText } from './array-text';
import {
  BUILTIN_ARRAY_ELEMENTS,
  type BinaryHandlingMode,
  binaryMapping,
  type DecimalHandlingMode,
  type HstoreHandlingMode,
  type IntervalHandlingMode,
  type ScalarMapping,
  type ScalarOptions,
  type TimePrecisionMode,
  extensionMapping,
  scalarMapping,
} from './scalar-mappings';

export const DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER = '__debezium_unavailable_value';

/**
 * Debezium's column.mask.* for character columns: `chars` replaces the value with `length`
 * asterisks (column.mask.with.N.chars); `hash` writes the hex HMAC of the value's UTF-8 bytes
 * under `key` (Debezium's column.mask.hash output format — a lower-case hex string — but keyed: a
 * plain digest of salt + value is a length-extendable, unkeyed construction, and Debezium's values
 * differ).
 */
export type ColumnMask =
  | { readonly kind: 'chars'; readonly length: number }
  | { readonly kind: 'hash'; readonly algorithm: string; readonly key: string };

export interface ColumnConverterOptions {
  /** Debezium's money.fraction.digits. Default 2. */
  readonly moneyFractionDigits?: number;
  /** Debezium's unavailable.value.placeholder. Default `__debezium_unavailable_value`. */
  readonly unavailableValuePlaceholder?: string;
  readonly mask?: ColumnMask;
  /** Debezium's decimal.handling.mode. Default precise. */
  readonly decimalMode?: DecimalHandlingMode;
  /** Debezium's hstore.handling.mode. Default json. */
  readonly hstoreMode?: HstoreHandlingMode;
  /** Debezium's interval.handling.mode. Default numeric. */
  readonly intervalMode?: IntervalHandlingMode;
  /** Debezium's include.unknown.datatypes: a type without a mapping as bytes of its text. Default false. */
  readonly includeUnknownDatatypes?: boolean;
  /** Debezium's binary.handling.mode (bytea, unknown types' bytes). Default bytes. */
  readonly binaryMode?: BinaryHandlingMode;
  /** Debezium's time.precision.mode (date, time, timestamp). Default adaptive. */
  readonly timePrecisionMode?: TimePrecisionMode;
}

export interface ColumnType {
  readonly name: string;
  readonly typeOid: number;
  readonly typeModifier: number;
}

/**
 * One column's conversion, decided once: its Avro type (the non-null one; optionality is the
 * table's business), the function turning Postgres text output into the Avro value, and the
 * value standing for an unchanged TOASTed value (undefined when the type cannot hold one).
 */
export interface ColumnConverter {
  readonly name: string;
  readonly schema: AvroJson;
  readonly convert: (text: string) => unknown;
  readonly toastPlaceholder: unknown;
  /** The field is optional even for a NOT NULL column (Debezium's Geometry). */
  readonly alwaysOptional?: boolean;
}

const OPTIONAL_ITEMS = (schema: AvroJson): AvroJson => ({ type: 'array', items: ['null', schema] });

/**
 * The converter for a column, or undefined for a type Debezium does not map either (box, lseg,
 * path, polygon, circle, line, arrays of point, tsvector or vectors, unknown extension types:
 * include.unknown.datatypes=false skips the column). With include.unknown.datatypes such a
 * scalar column is bytes, the UTF-8 of its text output (Debezium's convertBinary of the string);
 * an array of such a type is still left out.
 */
export function createColumnConverter(
  catalog: TypeCatalog,
  column: ColumnType,
  options: ColumnConverterOptions = {},
): ColumnConverter | undefined {
  const scalarOptions: ScalarOptions = {
    moneyFractionDigits: options.moneyFractionDigits ?? 2,
    column: column.name,
    decimalMode: options.decimalMode,
    hstoreMode: options.hstoreMode,
    intervalMode: options.intervalMode,
    binaryMode: options.binaryMode,
    timePrecisionMode: options.timePrecisionMode,
  };
  const placeholder = options.unavailableValuePlaceholder ?? DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER;
  const resolved =
    resolve(catalog, column.typeOid, column.typeModifier, scalarOptions, placeholder, 0) ??
    (options.includeUnknownDatatypes && !isArrayType(catalog, column.typeOid)
      ? unknownAsBytes(
          placeholder,
          options.binaryMode,
          GEOMETRIC_OIDS.has(column.typeOid) ? javaGeometricText : undefined,
        )
      : undefined);
  if (resolved === undefined) return undefined;
  if (options.mask === undefined) {
    const { schema, convert, toastPlaceholder, alwaysOptional } = resolved;
    return {
      name: column.name,
      schema,
      convert,
      toastPlaceholder,
      ...(alwaysOptional ? { alwaysOptional } : {}),
    };
  }
  if (!resolved.character) {
    throw new ConfigError(`Column ${column.name} is not a character column; only those can be masked`);
  }
  return {
    name: column.name,
    schema: resolved.schema,
    convert: maskFunction(options.mask),
    toastPlaceholder: resolved.toastPlaceholder,
  };
}

interface Resolved {
  readonly schema: AvroJson;
  readonly convert: (text: string) => unknown;
  readonly toastPlaceholder: unknown;
  readonly character?: boolean;
  readonly alwaysOptional?: boolean;
  readonly noArrays?: boolean;
  readonly arrayDelimiter?: string;
}

function scalarPlaceholder(mapping: ScalarMapping, placeholder: string): unknown {
  switch (mapping.placeholder) {
    case 'string':
      return placeholder;
    case 'bytes': {
      const bytes = Buffer.from(placeholder, 'utf8');
      return mapping.encodeBytes ? mapping.encodeBytes(bytes) : bytes;
    }
    case 'hstore':
      return JSON.stringify({ [placeholder]: placeholder });
    case 'hstore-map':
      return { [placeholder]: placeholder };
    default:
      return undefined;
  }
}

function resolve(
  catalog: TypeCatalog,
  oid: number,
  typmod: number,
  options: ScalarOptions,
  placeholder: string,
  depth: number,
): Resolved | undefined {
  if (depth > 8) return undefined; // a domain over a domain over ... ends somewhere; be safe
  const scalar = scalarMapping(oid, typmod, options);
  if (scalar) return { ...scalar, toastPlaceholder: scalarPlaceholder(scalar, placeholder) };
  const builtinElement = BUILTIN_ARRAY_ELEMENTS.get(oid);
  if (builtinElement !== undefined)
    return arrayOf(catalog, builtinElement, typmod, options, placeholder, depth);
  const type = catalog.get(oid);
  if (type === undefined) return undefined;
  if (type.kind === 'domain') {
    return resolve(
      catalog,
      type.baseOid,
      typmod >= 0 ? typmod : type.baseTypeModifier,
      options,
      placeholder,
      depth + 1,
    );
  }
  if (type.kind === 'enum') {
    const schema = connectPrimitive('string', {
      name: 'io.debezium.data.Enum',
      version: 1,
      parameters: { allowed: type.enumLabels.join(',') },
    });
    return { schema, convert: (t) => t, toastPlaceholder: placeholder };
  }
  if (type.kind === 'range' || type.kind === 'multirange') {
    return { schema: 'string', convert: (t) => t, toastPlaceholder: placeholder };
  }
  if (type.elementOid !== 0) return arrayOf(catalog, type.elementOid, typmod, options, placeholder, depth);
  const extension = extensionMapping(type.name, options);
  return extension
    ? { ...extension, toastPlaceholder: scalarPlaceholder(extension, placeholder) }
    : undefined;
}

function isArrayType(catalog: TypeCatalog, oid: number): boolean {
  return BUILTIN_ARRAY_ELEMENTS.has(oid) || (catalog.get(oid)?.elementOid ?? 0) !== 0;
}

/** include.unknown.datatypes: Debezium's binary schema, the text's UTF-8 bytes. */
/** box, lseg, path, polygon, circle, line: pgjdbc reads them as PGgeometric objects. */
const GEOMETRIC_OIDS: ReadonlySet<number> = new Set([601, 602, 603, 604, 628, 718]);

/**
 * A geometric value's text as pgjdbc's PGbox/PGpath/… toString writes it, which is what Debezium
 * turns into bytes: Postgres's numbers in Java's Double.toString form (`(1,1),(0,0)` →
 * `(1.0,1.0),(0.0,0.0)`).
 */
export function javaGeometricText(text: string): string {
  return text.replace(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi, (number) => javaDoubleText(Number(number)));
}

/** Java's Double.toString: at least one fraction digit, E notation outside [10^-3, 10^7). */
export function javaDoubleText(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const text = String(value);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

function unknownAsBytes(
  placeholder: string,
  mode: BinaryHandlingMode | undefined,
  text: (value: string) => string = (value) => value,
): Resolved {
  const mapping = binaryMapping((value) => Buffer.from(text(value), 'utf8'), mode);
  return { ...mapping, toastPlaceholder: scalarPlaceholder(mapping, placeholder) };
}

function arrayOf(
  catalog: TypeCatalog,
  elementOid: number,
  typmod: number,
  options: ScalarOptions,
  placeholder: string,
  depth: number,
): Resolved | undefined {
  const element = resolve(catalog, elementOid, typmod, options, placeholder, depth + 1);
  if (element === undefined || element.noArrays) return undefined;
  const convertElement = element.convert;
  const delimiter = element.arrayDelimiter ?? ',';
  // box is the only built-in type whose array delimiter is ';', and it has no mapping.
  const convert = (text: string): unknown[] => {
    const items = parseArrayText(text, delimiter);
    const out = new Array<unknown>(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      out[i] = item === null ? null : convertElement(item);
    }
    return out;
  };
  return {
    schema: OPTIONAL_ITEMS(element.schema),
    convert,
    toastPlaceholder: arrayPlaceholder(elementOid, element, placeholder),
  };
}

/** Debezium's typed placeholders for TOASTed arrays (UnchangedToastedReplicationMessageColumn). */
function arrayPlaceholder(elementOid: number, element: Resolved, placeholder: string): unknown {
  const bytes = Buffer.from(placeholder, 'utf8');
  switch (elementOid) {
    case PgOid.INT4:
    case PgOid.DATE:
    case PgOid.INT8:
      return [...bytes].map((b) => (b > 127 ? b - 256 : b));
    case PgOid.BYTEA:
      return [element.toastPlaceholder];
    case PgOid.UUID:
      return [nameUuidFromBytes(bytes)];
    default:
      // text-like arrays (text, varchar, bpchar, json, jsonb, enums, ...) get a one-element array
      return element.toastPlaceholder === placeholder ? [placeholder] : undefined;
  }
}

/** Java's UUID.nameUUIDFromBytes: a version-3 (MD5) UUID. */
export function nameUuidFromBytes(bytes: Buffer): string {
  const md5 = createHash('md5').update(bytes).digest();
  md5[6] = (md5[6] & 0x0f) | 0x30;
  md5[8] = (md5[8] & 0x3f) | 0x80;
  const hex = md5.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function maskFunction(mask: ColumnMask): (text: string) => string {
  if (mask.kind === 'chars') {
    const stars = '*'.repeat(mask.length);
    return () => stars;
  }
  const { algorithm, key } = mask;
  try {
    createHmac(algorithm, key);
  } catch (error) {
    throw new ConfigError(`Unknown hash algorithm ${algorithm} for column masking`, undefined, undefined, {
      cause: error,
    });
  }
  return (text) => createHmac(algorithm, key).update(text, 'utf8').digest('hex');
}
