/**
 * What Sluice's serde needs from a schema registry, and nothing more. The Confluent REST
 * implementation sits behind it (`ConfluentSchemaRegistryClient`), an in-process one
 * (`InMemorySchemaRegistry`) serves unit tests, and vendor types stay out of the serde.
 *
 * Errors: `UnknownSchemaIdError` for an id the registry does not have,
 * `SchemaRegistryUnavailableError` (retriable) when it cannot be reached or answers 5xx,
 * `FatalRecordError` codes `SCHEMA_INCOMPATIBLE` / `SCHEMA_INVALID` / `SCHEMA_NOT_REGISTERED` when
 * it refuses a schema, `ConfigError` when it refuses the credentials.
 */
export interface SchemaRegistryClient {
  /** Registers `schema` (Avro JSON text) under `subject`, or finds it if already there; its global id. */
  register(subject: string, schema: string): Promise<number>;
  /** The id of `schema` under `subject` without registering it. */
  lookup(subject: string, schema: string): Promise<number>;
  /** The schema text of a global id. */
  schemaById(id: number): Promise<string>;
  /** The global id of the latest version under `subject` (FatalRecordError `SUBJECT_NOT_FOUND` if none). */
  latestId(subject: string): Promise<number>;
}
