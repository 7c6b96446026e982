import { ConfigError, FatalRecordError, SluiceError } from '@sluice/errors';
import { SchemaRegistryUnavailableError } from './schema-registry-unavailable-error';

/**
 * Classifies a failure of the registry library once, where it is born (STYLE.md): by HTTP status,
 * never by message text, except for one case the library leaves no other trace of. Its HTTP layer
 * (mappersmith) reports a connection that never got a response (refused, reset, DNS) as a response
 * with status 400 whose body is the socket error text, and the library's error keeps only status
 * and message; a 400 the registry itself sends carries a JSON `message` instead, so the
 * `Error, status 400:` prefix is what tells the two apart.
 *
 * `notFound` builds the error for a 404, which only the caller can name (unknown id, subject...).
 */
export function classifyRegistryError(
  error: unknown,
  action: string,
  notFound: () => SluiceError,
): SluiceError {
  if (error instanceof SluiceError) return error;
  const status = statusOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (status === 404) return notFound();
  if (
    status === undefined ||
    status >= 500 ||
    status === 408 ||
    status === 429 ||
    isTransportFailure(status, detail)
  ) {
    return new SchemaRegistryUnavailableError(`Schema registry unavailable while ${action}: ${detail}`, {
      cause: error,
    });
  }
  if (status === 401 || status === 403) {
    return new ConfigError(
      `Schema registry refused the credentials (HTTP ${status}) while ${action}: check schemaRegistry.auth`,
      undefined,
      'schemaRegistry.auth',
      { cause: error },
    );
  }
  if (status === 409) {
    return new FatalRecordError(`Schema registry refused an incompatible schema while ${action}: ${detail}`, {
      cause: error,
      code: 'SCHEMA_INCOMPATIBLE',
    });
  }
  if (status === 422) {
    return new FatalRecordError(`Schema registry refused an invalid schema while ${action}: ${detail}`, {
      cause: error,
      code: 'SCHEMA_INVALID',
    });
  }
  return new FatalRecordError(`Schema registry answered HTTP ${status} while ${action}: ${detail}`, {
    cause: error,
    code: 'SCHEMA_REGISTRY_REFUSED',
  });
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function isTransportFailure(status: number, message: string): boolean {
  return status === 400 && message.includes('Error, status 400');
}
