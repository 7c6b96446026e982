import { RetriableError } from '@sluice/errors';

/** The registry could not be reached, timed out or answered 5xx/429: retry with backoff. */
export class SchemaRegistryUnavailableError extends RetriableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'SCHEMA_REGISTRY_UNAVAILABLE' });
  }
}
