import { FatalRecordError } from '@sluice/errors';

/**
 * The registry answered 404 for a record's schema id: nothing can ever decode that record (it was
 * written against another registry, or the schema was hard-deleted), so it is a fatal record
 * error and goes to the dead-letter topic. An unreachable registry is a different error,
 * `SchemaRegistryUnavailableError`, because retrying it can succeed.
 */
export class UnknownSchemaIdError extends FatalRecordError {
  constructor(
    readonly schemaId: number,
    options?: { cause?: unknown },
  ) {
    super(`Schema id ${schemaId} is not known to the schema registry`, {
      ...options,
      code: 'SCHEMA_ID_UNKNOWN',
    });
  }
}
