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
export { decimalText, decimalBytesText, unscaledFromBytes } from './avro/avro-decimal';
export { readableAvroValue } from './avro/readable-avro-value';
export { compileAvroCodec, type AvroCodec } from './avro/avsc-types';
export { canonicalAvroSchema, canonicalForm } from './avro/canonical-avro-schema';
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
export type { SchemaRegistryClient } from './serde/schema-registry-client';
export {
  ConfluentSchemaRegistryClient,
  type ConfluentSchemaRegistryConfig,
} from './serde/confluent-schema-registry-client';
export { InMemorySchemaRegistry } from './serde/in-memory-schema-registry';
export { RecordEncoder, type RecordEncoderOptions } from './serde/record-encoder';
export { RecordDecoder, type DecodedRecord, type RecordDecoderOptions } from './serde/record-decoder';
export { CorruptRecordError } from './serde/corrupt-record-error';
export { LoadingCache, whenLoaded } from './serde/promise-cache';
export { UnknownSchemaIdError } from './serde/unknown-schema-id-error';
export { SchemaRegistryUnavailableError } from './serde/schema-registry-unavailable-error';
export { InvalidRecordError } from './serde/invalid-record-error';
export { avroToTypeScript, type AvroToTypeScriptOptions } from './codegen/avro-to-typescript';
export {
  basicAuthorization,
  type RegistryBasicAuth,
  schemaRegistryConfigSchema,
  type SchemaRegistryConfig,
} from './serde/schema-registry-config';
export { frame as frameRecord, unframe as unframeRecord } from './serde/wire-format';
