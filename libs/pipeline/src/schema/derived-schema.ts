import { FatalRecordError } from '@sluice/errors';
import { type AvroType, canonicalForm } from '@sluice/schema';

/** The key and value schemas of the records at some point of the pipeline. */
export interface StreamSchemas {
  /** Absent when the key is not Avro. */
  readonly key?: AvroType;
  readonly value: AvroType;
}

/**
 * A schema the pipeline derived from its input schema and its steps: the type and its canonical
 * text (what the app registers). Deterministic: the same input schema and steps give the same text
 * after every restart, so registering it again finds the existing version.
 */
export interface DerivedSchema {
  readonly type: AvroType;
  readonly text: string;
}

export function derivedSchema(type: AvroType): DerivedSchema {
  return { type, text: canonicalForm(type) };
}

/**
 * The steps cannot be applied to records of this schema (a field they name is missing, the value is
 * not a Debezium envelope, ...). Every record written with that schema goes to the dead-letter topic
 * naming the step; the pipeline remembers the failure per schema id.
 */
export class SchemaDerivationError extends FatalRecordError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'SCHEMA_DERIVATION' });
  }
}
