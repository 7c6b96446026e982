import type { AvroType, PrimitiveType, PrimitiveTypeName, RecordField, RecordType } from '@sluice/schema';
import { SchemaDerivationError } from './derived-schema';

/** What a field of a derived record needs; the rest of `RecordField` gets Avro's defaults. */
export type FieldSpec = Pick<RecordField, 'name' | 'type'> & Partial<Omit<RecordField, 'position'>>;

export function primitive(name: PrimitiveTypeName, logicalType?: string): PrimitiveType {
  return logicalType
    ? { kind: 'primitive', name, props: { logicalType }, logicalType: { name: logicalType } }
    : { kind: 'primitive', name, props: {} };
}

export const NULL_TYPE = primitive('null');

/** The type itself when it is not a union with null; else the union's other branch and `nullable`. */
export function unwrapNullable(type: AvroType): { type: AvroType; nullable: boolean } {
  if (type.kind !== 'union') return { type, nullable: false };
  const others = type.branches.filter((b) => !(b.kind === 'primitive' && b.name === 'null'));
  if (others.length === 1 && others.length < type.branches.length)
    return { type: others[0]!, nullable: true };
  return { type, nullable: others.length < type.branches.length };
}

/** `["null", T]`, so that a default of null is allowed. */
export function nullable(type: AvroType): AvroType {
  if (unwrapNullable(type).nullable) return type;
  return { kind: 'union', branches: [NULL_TYPE, ...(type.kind === 'union' ? type.branches : [type])] };
}

/** A field added by a step: nullable with a default of null, so adding it is a compatible change. */
export function addedField(name: string, type: AvroType, doc?: string): FieldSpec {
  return { name, type: nullable(type), default: { value: null }, ...(doc ? { doc } : {}) };
}

/** The record type of the value (or the non-null branch of a nullable record). */
export function recordOf(type: AvroType, what = 'the value'): RecordType {
  const base = unwrapNullable(type).type;
  if (base.kind !== 'record')
    throw new SchemaDerivationError(
      `${what} is not an Avro record (its schema is ${base.kind === 'primitive' ? base.name : base.kind})`,
    );
  return base;
}

export function fieldOf(record: RecordType, name: string): RecordField {
  const field = record.fields.find((f) => f.name === name);
  if (!field)
    throw new SchemaDerivationError(
      `the record ${record.fullName} has no field "${name}" (fields: ${record.fields.map((f) => f.name).join(', ')})`,
    );
  return field;
}

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A record with the same name, namespace, doc and properties as `base` and the given fields. */
export function withFields(base: RecordType, fields: readonly FieldSpec[]): RecordType {
  return { ...base, fields: fields.map(toField) };
}

/** A new record type named `fullName` (`namespace.Name`). */
export function newRecord(fullName: string, fields: readonly FieldSpec[]): RecordType {
  const dot = fullName.lastIndexOf('.');
  const name = fullName.slice(dot + 1);
  const namespace = dot < 0 ? '' : fullName.slice(0, dot);
  if (!AVRO_NAME.test(name) || (namespace && !namespace.split('.').every((p) => AVRO_NAME.test(p))))
    throw new SchemaDerivationError(`"${fullName}" is not a valid Avro record name`);
  return {
    kind: 'record',
    fullName,
    name,
    namespace,
    aliases: [],
    isError: false,
    props: {},
    fields: fields.map(toField),
  };
}

function toField(spec: FieldSpec, position: number): RecordField {
  if (!AVRO_NAME.test(spec.name))
    throw new SchemaDerivationError(`"${spec.name}" is not a valid Avro field name`);
  return { aliases: [], order: 'ascending', props: {}, ...spec, position };
}

/** Field names must be unique in a record; a step that adds one that exists says so. */
export function assertNewField(record: RecordType, name: string): void {
  if (record.fields.some((f) => f.name === name))
    throw new SchemaDerivationError(`the record ${record.fullName} already has a field "${name}"`);
}
