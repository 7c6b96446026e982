/**
 * Sluice's own model of a parsed Avro schema: a graph of plain objects, one per type, in which every
 * reference to a named type points at the same object as its definition (so recursive schemas are
 * cycles, not infinite trees). Compatibility checking, canonical form and code generation all read
 * this model; avsc stays an implementation detail of parsing and serde.
 */

export const PRIMITIVE_TYPE_NAMES = [
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
] as const;
export type PrimitiveTypeName = (typeof PRIMITIVE_TYPE_NAMES)[number];

/** Extra attributes of a type or field that Avro itself does not interpret (`connect.name`, ...). */
export type AvroProps = Readonly<Record<string, unknown>>;

/**
 * A logical type the parser recognised as valid on its underlying type. An invalid or unknown
 * `logicalType` attribute is kept as a plain property and the type is read as its underlying type,
 * as the Avro specification asks.
 */
export interface LogicalType {
  readonly name: string;
  /** decimal only */
  readonly precision?: number;
  /** decimal only; 0 when the schema omits it */
  readonly scale?: number;
}

interface TypeBase {
  /** Attributes other than the ones Avro defines for this kind of type, kept for canonical form. */
  readonly props: AvroProps;
  readonly logicalType?: LogicalType;
}

export interface PrimitiveType extends TypeBase {
  readonly kind: 'primitive';
  readonly name: PrimitiveTypeName;
}

interface NamedTypeBase extends TypeBase {
  /** Fully qualified name, e.g. `com.acme.Order`. */
  readonly fullName: string;
  /** Unqualified name, e.g. `Order`. */
  readonly name: string;
  /** Empty string for the null namespace. */
  readonly namespace: string;
  /** Aliases resolved to full names against the type's namespace. */
  readonly aliases: readonly string[];
  readonly doc?: string;
}

export type FieldOrder = 'ascending' | 'descending' | 'ignore';

export interface RecordField {
  readonly name: string;
  readonly type: AvroType;
  /** Index of the field in its record, used in compatibility paths such as `/fields/2`. */
  readonly position: number;
  readonly aliases: readonly string[];
  readonly doc?: string;
  /** Present when the schema declares a default; `{ value: null }` is a real default of null. */
  readonly default?: { readonly value: unknown };
  readonly order: FieldOrder;
  readonly props: AvroProps;
}

export interface RecordType extends NamedTypeBase {
  readonly kind: 'record';
  /** `error` types of Avro protocols are records too. */
  readonly isError: boolean;
  readonly fields: readonly RecordField[];
}

export interface EnumType extends NamedTypeBase {
  readonly kind: 'enum';
  readonly symbols: readonly string[];
  /** The symbol a reader uses for writer symbols it does not know. */
  readonly default?: string;
}

export interface FixedType extends NamedTypeBase {
  readonly kind: 'fixed';
  readonly size: number;
}

export interface ArrayType extends TypeBase {
  readonly kind: 'array';
  readonly items: AvroType;
}

export interface MapType extends TypeBase {
  readonly kind: 'map';
  readonly values: AvroType;
}

export interface UnionType {
  readonly kind: 'union';
  readonly branches: readonly AvroType[];
}

export type NamedType = RecordType | EnumType | FixedType;
export type AvroType = PrimitiveType | NamedType | ArrayType | MapType | UnionType;

/** A validated Avro schema: the type graph, the JSON it came from and its named types by full name. */
export interface AvroSchema {
  readonly type: AvroType;
  readonly json: unknown;
  readonly namedTypes: ReadonlyMap<string, NamedType>;
}

export function isNamedType(type: AvroType): type is NamedType {
  return type.kind === 'record' || type.kind === 'enum' || type.kind === 'fixed';
}

/** The upper-case type name Avro's Java `Schema.Type` uses in compatibility messages (`RECORD`, `LONG`). */
export function avroTypeLabel(type: AvroType): string {
  return (type.kind === 'primitive' ? type.name : type.kind).toUpperCase();
}
