/**
 * Sluice's error hierarchy. Retriability is a property of the error, decided once where the error
 * is born (as kafkajs does with `retriable`), never by matching messages downstream.
 */
export abstract class SluiceError extends Error {
  /** A stable, machine-readable code, e.g. `CONFIG_INVALID`. */
  abstract readonly code: string;
  /** Whether doing the same thing again may succeed. */
  abstract readonly retriable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A transient failure: a dependency is unreachable, a broker timed out. Retry with backoff. */
export class RetriableError extends SluiceError {
  readonly code: string;
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.code = options?.code ?? 'RETRIABLE';
  }
}

/**
 * A dependency every record needs does not answer (the schema registry, a lookup database): no
 * record is at fault, so a consumer must not dead-letter the record it was on but stop, and start
 * again from its last commit once the dependency is back.
 */
export class DependencyUnavailableError extends RetriableError {}

/** True for a DependencyUnavailableError, or an error caused by one. */
export function isDependencyOutage(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; depth++) {
    if (cause instanceof DependencyUnavailableError) return true;
    cause = cause.cause;
  }
  return false;
}

/** One record cannot be processed, ever: undecodable bytes, a schema the reader cannot resolve. */
export class FatalRecordError extends SluiceError {
  readonly code: string;
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.code = options?.code ?? 'FATAL_RECORD';
  }
}

/** The configuration is wrong. `path` names where (a YAML path such as `kafka.brokers[0]`). */
export class ConfigError extends SluiceError {
  readonly code = 'CONFIG_INVALID';
  readonly retriable = false;
  constructor(
    message: string,
    readonly source?: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The local environment cannot do what was asked (Java missing, a port taken, ...). */
export class EnvironmentError extends SluiceError {
  readonly code: string;
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.code = options?.code ?? 'ENVIRONMENT';
  }
}

/** True when trying again may help: a `SluiceError` that says so, else false. */
export function isRetriable(error: unknown): boolean {
  return error instanceof SluiceError ? error.retriable : false;
}
