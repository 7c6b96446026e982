import { DependencyUnavailableError } from '@sluice/errors';

/**
 * The registry could not be reached, timed out or answered 5xx/429: retry with backoff, and a
 * consumer still failing then stops (and starts again from its last commit) rather than
 * dead-lettering a record that is not at fault.
 */
export class SchemaRegistryUnavailableError extends DependencyUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'SCHEMA_REGISTRY_UNAVAILABLE' });
  }
}
