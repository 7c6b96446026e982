import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalAvroSchema, InvalidSchemaError } from '@sluice/schema';
import { RegistryErrors } from '../errors/registry-error';
import { type SchemaToStore } from '../storage/registry-store';

/** The body of register, lookup and compatibility requests; unknown fields are ignored. */
const SchemaRequestBody = z.looseObject(
  {
    schema: z.string({ error: 'expected the schema as a JSON string' }),
    schemaType: z.string({ error: 'expected a string such as "AVRO"' }).optional(),
    references: z.array(z.unknown(), { error: 'expected a list of references' }).optional(),
  },
  { error: 'expected a JSON object with a string field "schema"' },
);

export const SUPPORTED_SCHEMA_TYPES = ['AVRO'] as const;

/** A schema from a request, validated, in canonical form, with the hash that identifies it. */
export interface CandidateSchema extends SchemaToStore {
  canonical: string;
}

export function parseSchemaRequest(body: unknown): CandidateSchema {
  const parsed = SchemaRequestBody.safeParse(body);
  if (!parsed.success) {
    // Name the field that is wrong (`schemaType: 5` is not a missing schema).
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? `field "${issue.path.map(String).join('.')}": ` : 'the body: ';
    throw RegistryErrors.invalidSchema(`${field}${issue.message}`);
  }
  const { schema, schemaType = 'AVRO', references = [] } = parsed.data;
  if (schemaType !== 'AVRO') {
    throw RegistryErrors.invalidSchema(`schema type ${schemaType} is not supported; supported: AVRO`);
  }
  if (references.length > 0) throw RegistryErrors.invalidSchema('schema references are not supported');
  let canonical: string;
  try {
    canonical = canonicalAvroSchema(schema);
  } catch (error) {
    if (error instanceof InvalidSchemaError)
      throw RegistryErrors.invalidSchema(error.message, { cause: error });
    throw error;
  }
  // like Confluent, the registry keeps and serves the canonical text (Java Avro's toString form)
  return { schemaType, schema: canonical, canonical, canonicalHash: canonicalHash(canonical) };
}

/** Schemas with the same canonical form are the same schema: one hash, one global id. */
export function canonicalHash(canonical: string): string {
  return createHash('sha256').update(canonical).digest('hex');
}
