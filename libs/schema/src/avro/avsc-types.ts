import * as avro from 'avsc';
import { recogniseLogicalType } from './logical-type-rules';
import { createLongType } from './long-type';
import { encodeFramed } from '../serde/wire-format';

/**
 * The one place Sluice builds avsc types, so parsing, encoding and decoding agree on the options.
 *
 * - Logical types are registered so avsc recognises them (and, like our parser, falls back to the
 *   underlying type when one is invalid), but values keep their underlying representation: a
 *   decimal is the two's-complement `Buffer`, a timestamp the number, a uuid the string. That is
 *   the shape every other Kafka client sees, and the shape `avroToTypeScript` promises.
 * - `wrapUnions: 'never'`: union values are plain values, never `{ "string": "x" }` wrappers, so a
 *   nullable field is `T | null` in JavaScript as in the generated TypeScript.
 * - A plain `long` is a `number` while safe and a `bigint` beyond ±2^53 (see `createLongType`), so
 *   a Postgres bigint or Debezium's infinity timestamp is never rounded nor refused.
 */
class PassThroughLogicalType extends avro.types.LogicalType {
  constructor(schema: avro.Schema, opts?: unknown) {
    super(schema, opts);
    const attrs = schema as Record<string, unknown>;
    const underlying = this.underlyingType;
    const size = avro.Type.isType(underlying, 'fixed')
      ? (underlying as avro.types.FixedType).size
      : undefined;
    // avsc catches this and uses the underlying type, as the specification asks for invalid ones.
    if (!recogniseLogicalType(attrs, underlying.typeName, size)) {
      throw new Error(`invalid logical type ${JSON.stringify(attrs.logicalType)} on ${underlying.typeName}`);
    }
  }

  protected override _fromValue(value: unknown): unknown {
    return value;
  }

  protected override _toValue(value: unknown): unknown {
    return value;
  }

  /**
   * Reading another version of the same data: anything the underlying types can resolve (the
   * compatibility checker decides what is allowed). Only string ↔ bytes changes the JS value.
   */
  protected override _resolve(writer: avro.Type): ((value: unknown) => unknown) | undefined {
    const writerBase = avro.Type.isType(writer, 'logical')
      ? (writer as avro.types.LogicalType).underlyingType
      : writer;
    try {
      this.underlyingType.createResolver(writerBase);
    } catch {
      return undefined;
    }
    const reader = this.underlyingType.typeName;
    if (reader === 'bytes') return (v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);
    if (reader === 'string') return (v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v);
    return (v) => v;
  }
}

const LOGICAL_TYPE_NAMES = [
  'decimal',
  'uuid',
  'date',
  'time-millis',
  'time-micros',
  'timestamp-millis',
  'timestamp-micros',
  'timestamp-nanos',
  'local-timestamp-millis',
  'local-timestamp-micros',
  'local-timestamp-nanos',
  'duration',
];

const LOGICAL_TYPES = Object.fromEntries(LOGICAL_TYPE_NAMES.map((name) => [name, PassThroughLogicalType]));

/** Options for `avro.Type.forSchema`; also handed to the registry library so its types agree. */
export function avscOptions(): Partial<avro.ForSchemaOptions> {
  return { logicalTypes: { ...LOGICAL_TYPES }, wrapUnions: 'never', typeHook: longTypeHook };
}

const LONG = createLongType();

/** Plain longs only: a long under a logical type keeps the logical type's own handling. */
function longTypeHook(schema: avro.Schema): avro.Type | undefined {
  if (schema === 'long') return LONG;
  if (typeof schema === 'object' && schema !== null && !Array.isArray(schema)) {
    const attrs = schema as unknown as Record<string, unknown>;
    if (attrs.type === 'long' && attrs.logicalType === undefined) return LONG;
  }
  return undefined;
}

/**
 * A compiled Avro schema: encode and decode Avro binary (no framing) with Sluice's value
 * conventions. Compile once per schema and keep it; each call is then avsc's compiled code.
 */
export interface AvroCodec {
  encode(value: unknown): Buffer;
  /** `value` encoded and framed in the Confluent wire format for `schemaId` (one copy, no zero-fill). */
  encodeFramed(schemaId: number, value: unknown): Buffer;
  decode(bytes: Buffer): unknown;
  isValid(value: unknown): boolean;
  /** Paths (`after.amount`) where `value` does not match, empty when it does. */
  invalidPaths(value: unknown): string[];
}

/** Compiles schema JSON into an `AvroCodec`. Throws avsc's error when avsc refuses the schema. */
export function compileAvroCodec(json: unknown): AvroCodec {
  const type = createAvscType(json);
  return {
    encode: (value) => type.toBuffer(value),
    encodeFramed: (schemaId, value) => encodeFramed(type, schemaId, value),
    decode: (bytes) => type.fromBuffer(bytes),
    isValid: (value) => type.isValid(value),
    invalidPaths: (value) => {
      const paths: string[] = [];
      type.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '<root>') });
      return paths;
    },
  };
}

/** Builds the avsc type of schema JSON. Throws avsc's own error when avsc refuses it. */
export function createAvscType(json: unknown): avro.Type {
  return avro.Type.forSchema(json as avro.Schema, avscOptions());
}
