import type { AvroSchema } from './avro-type';
import { createAvscType } from './avsc-types';
import { InvalidSchemaError } from './invalid-schema-error';
import { SchemaParser } from './schema-parser';

/**
 * Parses and validates Avro schema text. Throws `InvalidSchemaError` naming what is wrong and where:
 * malformed JSON, an invalid type, an unknown named type, duplicate field names, a default that does
 * not fit its field's type.
 *
 * Sluice's own parser does the validation (it knows the field path for every message); avsc then
 * builds the type as a cross-check, so a schema we accept is one our serde can use.
 */
export function parseAvroSchema(text: string): AvroSchema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidSchemaError(
      `Invalid Avro schema: not valid JSON (${(error as Error).message})`,
      '',
      '',
      {
        cause: error,
      },
    );
  }
  const parser = new SchemaParser();
  const type = parser.parse(json);
  try {
    createAvscType(json);
  } catch (error) {
    throw new InvalidSchemaError(`Invalid Avro schema: ${(error as Error).message}`, '', '', {
      cause: error,
    });
  }
  return { type, json, namedTypes: parser.namedTypes };
}
