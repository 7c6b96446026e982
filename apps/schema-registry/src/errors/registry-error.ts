import { SluiceError } from '@sluice/errors';

/**
 * An error the registry answers with, in Confluent's shape: an HTTP status plus a body
 * `{"error_code": N, "message": "..."}`. The codes and messages follow Confluent Schema Registry's
 * `Errors.java` so that every Confluent client recognises them.
 */
export class RegistryError extends SluiceError {
  readonly code: string;
  readonly retriable: boolean;

  constructor(
    readonly httpStatus: number,
    readonly errorCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = `REGISTRY_${errorCode}`;
    this.retriable = httpStatus >= 500;
  }

  toBody(): { error_code: number; message: string } {
    return { error_code: this.errorCode, message: this.message };
  }
}

/** The Confluent error catalogue, one factory per error code. */
export const RegistryErrors = {
  subjectNotFound: (subject: string) => new RegistryError(404, 40401, `Subject '${subject}' not found.`),
  versionNotFound: (version: number | string) =>
    new RegistryError(404, 40402, `Version ${version} not found.`),
  schemaNotFound: (id?: number | string) =>
    new RegistryError(404, 40403, id === undefined ? 'Schema not found' : `Schema ${id} not found`),
  subjectSoftDeleted: (subject: string) =>
    new RegistryError(
      404,
      40404,
      `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`,
    ),
  subjectNotSoftDeleted: (subject: string) =>
    new RegistryError(
      404,
      40405,
      `Subject '${subject}' was not deleted first before being permanently deleted`,
    ),
  versionSoftDeleted: (subject: string, version: number) =>
    new RegistryError(
      404,
      40406,
      `Subject '${subject}' Version ${version} was soft deleted.Set permanent=true to delete permanently`,
    ),
  versionNotSoftDeleted: (subject: string, version: number) =>
    new RegistryError(
      404,
      40407,
      `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`,
    ),
  subjectCompatibilityNotConfigured: (subject: string) =>
    new RegistryError(
      404,
      40408,
      `Subject '${subject}' does not have subject-level compatibility configured`,
    ),
  /** Confluent answers 409 with error_code 409 (newer releases say 40901; clients key on the status). */
  incompatibleSchema: (subject: string, details: readonly string[]) =>
    new RegistryError(
      409,
      409,
      `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${details.join(', ')}]`,
    ),
  invalidSchema: (reason: string, options?: { cause?: unknown }) =>
    new RegistryError(422, 42201, `Invalid schema: ${reason}`, options),
  invalidVersion: (version: string) =>
    new RegistryError(
      422,
      42202,
      `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    ),
  invalidSubject: (subject: string, reason: string) =>
    new RegistryError(422, 42208, `Invalid subject '${JSON.stringify(subject).slice(1, -1)}': ${reason}`),
  invalidCompatibilityLevel: () =>
    new RegistryError(
      422,
      42203,
      'Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive',
    ),
  store: (message: string, options?: { cause?: unknown }) =>
    new RegistryError(500, 50001, `Error in the backend datastore: ${message}`, options),
  /** Request-level problems found before a handler runs (malformed JSON, media type, size, route). */
  http: (status: number, message: string) => new RegistryError(status, status, message),
} as const;
