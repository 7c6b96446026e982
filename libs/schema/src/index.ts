// @sluice/schema — Avro schemas for Sluice: parsing and canonical form, compatibility rules,
// Confluent wire-format serde and TypeScript generation. Everything else in this lib is internal.
export { InvalidSchemaError } from './avro/invalid-schema-error';
export type {
  AvroSchema,
  AvroType,
  ArrayType,
  EnumType,
  FixedType,
  LogicalType,
  MapType,
  NamedType,
  PrimitiveType,
  PrimitiveTypeName,
  RecordField,
  RecordType,
  UnionType,
} from './avro/avro-type';
export { parseAvroSchema } from './avro/parse-avro-schema';
export { canonicalAvroSchema } from './avro/canonical-avro-schema';
export {
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
  isCompatibilityLevel,
} from './compatibility/compatibility-level';
export {
  checkCompatibility,
  type CompatibilityOptions,
  type CompatibilityResult,
} from './compatibility/check-compatibility';
