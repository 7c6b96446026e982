/**
 * The Avro rules the registry applies — parsing, canonical form, compatibility levels and checks —
 * come from `@sluice/schema`; this file is the app's one door to them.
 */
export {
  canonicalAvroSchema,
  checkCompatibility,
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
  InvalidSchemaError,
  isCompatibilityLevel,
  parseAvroSchema,
} from '@sluice/schema';
