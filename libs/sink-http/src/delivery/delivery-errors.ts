import { FatalRecordError, RetriableError } from '@sluice/errors';

/** What one attempt learned about the endpoint, carried by the errors below. */
export interface AttemptFailure {
  readonly destination: string;
  /** The HTTP status, when the endpoint answered. */
  readonly status?: number;
  /** The first bytes of the response body (text), when it answered. */
  readonly bodyExcerpt?: string;
}

/** The endpoint could not be reached or did not answer in time (connect/read timeout, reset, refused). */
export class EndpointUnreachableError extends RetriableError {
  constructor(
    readonly destination: string,
    detail: string,
    cause?: unknown,
  ) {
    super(`${destination}: ${detail}`, { cause, code: 'HTTP_UNREACHABLE' });
  }
}

/** The endpoint answered with a status worth retrying: 5xx, 408, 429. */
export class RetriableStatusError extends RetriableError implements AttemptFailure {
  constructor(
    readonly destination: string,
    readonly status: number,
    readonly bodyExcerpt: string,
    /** Retry-After as milliseconds, when the answer had one. */
    readonly retryAfterMs?: number,
  ) {
    super(`${destination}: HTTP ${status}${bodyExcerpt ? `: ${bodyExcerpt}` : ''}`, {
      code: 'HTTP_RETRIABLE_STATUS',
    });
  }
}

/** Refused by the destination's open circuit breaker: no request was sent. */
export class CircuitOpenError extends RetriableError {
  constructor(
    readonly destination: string,
    readonly retryInMs: number,
  ) {
    super(`${destination}: circuit open, next probe in ${retryInMs} ms`, { code: 'HTTP_CIRCUIT_OPEN' });
  }
}

/**
 * The endpoint refused the record for good: a 4xx other than 408/429, or a redirect Sluice does not
 * follow. Dead-lettered at once with the status and the start of the body.
 */
export class DeliveryRejectedError extends FatalRecordError implements AttemptFailure {
  constructor(
    readonly destination: string,
    readonly status: number,
    readonly bodyExcerpt: string,
    detail?: string,
  ) {
    super(
      `${destination}: HTTP ${status}${detail ? ` (${detail})` : ''}, not retried${bodyExcerpt ? `: ${bodyExcerpt}` : ''}`,
      { code: 'HTTP_REJECTED' },
    );
  }
}

/** The record's retry policy ran out (attempts or time): dead-lettered, the last failure as cause. */
export class DeliveryExhaustedError extends FatalRecordError {
  constructor(
    readonly destination: string,
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly lastFailure: unknown,
  ) {
    super(
      `${destination}: gave up after ${attempts} attempt(s) in ${elapsedMs} ms; last: ${
        lastFailure instanceof Error ? lastFailure.message : String(lastFailure)
      }`,
      { cause: lastFailure, code: 'HTTP_RETRIES_EXHAUSTED' },
    );
  }
}
