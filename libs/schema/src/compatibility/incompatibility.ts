/**
 * One reason a reader schema cannot read a writer schema's data, with the same types, locations
 * and additional info as Apache Avro's Java `SchemaCompatibility.Incompatibility`, so messages read
 * like Confluent's (which formats those) and tools that parse them keep working.
 */
export type IncompatibilityType =
  | 'NAME_MISMATCH'
  | 'FIXED_SIZE_MISMATCH'
  | 'MISSING_ENUM_SYMBOLS'
  | 'READER_FIELD_MISSING_DEFAULT_VALUE'
  | 'TYPE_MISMATCH'
  | 'MISSING_UNION_BRANCH';

export interface Incompatibility {
  readonly type: IncompatibilityType;
  /** Path in the reader schema (writer schema for union branches), e.g. `/fields/1/type`. */
  readonly location: string;
  /** Avro's message: a field name, `[A, B]` missing symbols, `reader type: X not compatible ...`. */
  readonly message: string;
}

/**
 * How messages name the two schemas: Confluent says `new` (reader) / `old` (writer) for BACKWARD
 * checks and the reverse for FORWARD ones; the serde says `reader` / `writer`.
 */
export interface SchemaRoles {
  readonly reader: string;
  readonly writer: string;
}

/**
 * Formats one incompatibility exactly as Confluent Schema Registry's `Difference.error()` does, e.g.
 * `{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'x' at path '/fields/1'
 * in the new schema has no default value and is missing in the old schema', additionalInfo:'x'}`.
 */
export function formatIncompatibility(inc: Incompatibility, roles: SchemaRoles): string {
  const { reader, writer } = roles;
  const path = inc.location;
  const description = ((): string => {
    switch (inc.type) {
      case 'FIXED_SIZE_MISMATCH':
        return `The size of FIXED type field at path '${path}' in the ${reader} schema does not match with the ${writer} schema`;
      case 'TYPE_MISMATCH':
        return `The type (path '${path}') of a field in the ${reader} schema does not match with the ${writer} schema`;
      case 'NAME_MISMATCH':
        return `The name of the schema has changed (path '${path}')`;
      case 'MISSING_ENUM_SYMBOLS':
        return `The ${reader} schema is missing enum symbols '${inc.message}' at path '${path}' in the ${writer} schema`;
      case 'MISSING_UNION_BRANCH':
        return `The ${reader} schema is missing a type inside a union field at path '${path}' in the ${writer} schema`;
      case 'READER_FIELD_MISSING_DEFAULT_VALUE':
        return `The field '${inc.message}' at path '${path}' in the ${reader} schema has no default value and is missing in the ${writer} schema`;
    }
  })();
  return `{errorType:'${inc.type}', description:'${description}', additionalInfo:'${inc.message}'}`;
}
